using System.Collections.Concurrent;
using MiAudit.Flows;

namespace MiAudit.Testing;

/// <summary>
/// An observer that keeps every finished flow, so tests can assert what the proxy reported (snapshots of exchanges still
/// running are not kept: tests of snapshots read the store).
/// </summary>
public sealed class RecordingObserver : IFlowObserver
{
    private readonly ConcurrentQueue<Flow> _flows = new();

    public IReadOnlyCollection<Flow> Flows => _flows;

    public ValueTask OnFlowAsync(Flow flow, CancellationToken cancellationToken)
    {
        if (!flow.InProgress)
        {
            _flows.Enqueue(flow);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Waits until a matching flow arrives (flows are published after the response completes).</summary>
    public async Task<Flow> WaitForAsync(Func<Flow, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            var match = _flows.FirstOrDefault(predicate);
            if (match is not null)
            {
                return match;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no matching flow among {_flows.Count}: {string.Join("; ", _flows.Select(f => $"{f.Method} {f.Url} {f.StatusCode}"))}");
    }
}
