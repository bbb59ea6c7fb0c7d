namespace MiAudit.Flows;

/// <summary>
/// Receives every finished flow, off the forwarding path. Detection, storage and the live view are observers;
/// the proxy knows nothing of what they do.
/// </summary>
public interface IFlowObserver
{
    ValueTask OnFlowAsync(Flow flow, CancellationToken cancellationToken);
}

/// <summary>
/// Hears of each request as soon as its head has arrived, before it is forwarded (detection learns navigations here,
/// so a page's own telemetry finds the page already known). Called on the request path: it must be quick.
/// </summary>
public interface IRequestObserver
{
    /// <param name="request">The flow so far: request line and headers; no body, no response.</param>
    void OnRequest(Flow request);
}

/// <summary>
/// Hears of each flow the moment it finished, on the proxy's path and before any observer has analysed it, so the
/// evidence can be made durable however far analysis lags. It must not block.
/// </summary>
public interface IFlowJournal
{
    void OnFlowFinished(Flow flow);
}
