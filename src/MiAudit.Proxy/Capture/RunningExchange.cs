using Microsoft.Extensions.Logging;
using MiAudit.Flows;

namespace MiAudit.Proxy.Capture;

/// <summary>
/// Publishes snapshots of an exchange while it runs longer than a few seconds (WebSockets, server-sent events, long
/// polls), so its evidence is stored and scanned while it lasts rather than only when it ends. A snapshot is skipped
/// when the observers' queue is full. Disposing stops it and waits for a snapshot being taken, so the finished flow is
/// always published after the last snapshot.
/// </summary>
internal sealed class RunningExchange : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RunningExchange(Func<Flow> snapshot, FlowDispatcher flows, TimeSpan after, TimeSpan interval, TimeProvider clock, ILogger logger)
    {
        _loop = after <= TimeSpan.Zero ? Task.CompletedTask : RunAsync(snapshot, flows, after, interval, clock, logger, _stop.Token);
    }

    private static async Task RunAsync(Func<Flow> snapshot, FlowDispatcher flows, TimeSpan after, TimeSpan interval, TimeProvider clock,
        ILogger logger, CancellationToken stop)
    {
        try
        {
            await Task.Delay(after, clock, stop);
            while (!stop.IsCancellationRequested)
            {
                flows.TryPublishSnapshot(snapshot());
                await Task.Delay(interval, clock, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The exchange ended.
        }
        catch (Exception e)
        {
            // Snapshots are extra: the finished flow is still recorded, so a fault here ends the snapshots only.
            logger.LogError(e, "MiAudit bug: snapshots of a running exchange stopped");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
