namespace MiAudit.Flows;

/// <summary>
/// Receives every finished flow, off the forwarding path. Detection, storage and the live view are observers;
/// the proxy knows nothing of what they do.
/// </summary>
public interface IFlowObserver
{
    ValueTask OnFlowAsync(Flow flow, CancellationToken cancellationToken);
}
