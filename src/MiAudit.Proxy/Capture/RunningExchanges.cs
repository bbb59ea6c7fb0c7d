using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MiAudit.Flows;

namespace MiAudit.Proxy.Capture;

/// <summary>
/// Publishes snapshots of exchanges that run longer than a few seconds (WebSockets, server-sent events, long polls), so
/// their evidence is stored and scanned while they last rather than only when they end. One timer serves every exchange
/// in flight: an exchange costs a registration on the request path, and snapshots are taken on the timer's thread. A
/// snapshot is skipped when the observers' queue is full (the next one, or the finished flow, carries it all).
/// </summary>
internal sealed class RunningExchanges : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Exchange, byte> _running = new();
    private readonly FlowDispatcher _flows;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly long _after;
    private readonly long _interval;
    private readonly ITimer? _timer;

    /// <param name="after">How long an exchange runs before its first snapshot; zero or less: never.</param>
    public RunningExchanges(FlowDispatcher flows, TimeSpan after, TimeSpan interval, TimeProvider clock, ILogger logger)
    {
        _flows = flows;
        _clock = clock;
        _logger = logger;
        _after = Ticks(after);
        _interval = Ticks(interval);
        if (after > TimeSpan.Zero)
        {
            var tick = after < Tick ? after : Tick;
            _timer = clock.CreateTimer(_ => Sweep(), null, tick, tick);
        }
    }

    /// <summary>
    /// Watches an exchange until the handle is disposed. Disposing waits for a snapshot being taken, so the finished flow,
    /// published afterwards, always comes after the last snapshot.
    /// </summary>
    public IDisposable Track(Func<Flow> snapshot)
    {
        if (_timer is null)
        {
            return NotTracked.Instance;
        }

        var exchange = new Exchange(this, snapshot, _clock.GetTimestamp() + _after);
        _running.TryAdd(exchange, 0);
        return exchange;
    }

    public void Dispose() => _timer?.Dispose();

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);

    private void Sweep()
    {
        var now = _clock.GetTimestamp();
        foreach (var (exchange, _) in _running)
        {
            exchange.SnapshotIfDue(now);
        }
    }

    private sealed class Exchange(RunningExchanges owner, Func<Flow> snapshot, long firstDue) : IDisposable
    {
        private readonly Lock _lock = new();
        private long _due = firstDue;
        private bool _ended;

        public void SnapshotIfDue(long now)
        {
            lock (_lock)
            {
                if (_ended || now < _due)
                {
                    return;
                }

                _due = now + owner._interval;
                try
                {
                    owner._flows.TryPublishSnapshot(snapshot());
                }
                catch (Exception e)
                {
                    // Snapshots are extra: the finished flow is still recorded, so a fault ends this exchange's snapshots only.
                    _ended = true;
                    owner._logger.LogError(e, "MiAudit bug: snapshots of a running exchange stopped");
                }
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _ended = true;
            }

            owner._running.TryRemove(this, out _);
        }
    }

    private sealed class NotTracked : IDisposable
    {
        public static readonly NotTracked Instance = new();

        public void Dispose()
        {
        }
    }
}
