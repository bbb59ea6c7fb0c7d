using MiAudit.Detection;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Writing;

namespace MiAudit.Cli.Run;

/// <summary>What to keep: flagged flows only (with bodies), or every flow (bodies of unflagged ones optional).</summary>
public sealed record StorePolicy(bool StoreAll, bool UnflaggedBodies, Severity FlagThreshold);

/// <summary>
/// The proxy's observer in <c>miaudit run</c>: learns navigations from request heads, analyses every finished flow,
/// shows flagged ones live and hands what the policy keeps to the store.
/// </summary>
public sealed class AuditPipeline(DetectionEngine? engine, FlowWriter? writer, StorePolicy policy, HeaderRedactor redactor, LiveView view)
    : IFlowObserver, IRequestObserver
{
    public void OnRequest(Flow request) => engine?.ObserveRequest(request);

    public async ValueTask OnFlowAsync(Flow flow, CancellationToken cancellationToken)
    {
        var analysis = engine?.Analyze(flow) ?? FlowAnalysis.None;
        view.Report(flow, analysis);
        var flagged = analysis.IsFlagged(policy.FlagThreshold);
        if (writer is not null && (flagged || policy.StoreAll))
        {
            var keepBodies = flagged || policy.UnflaggedBodies;
            var stored = keepBodies ? flow : WithoutBodies(flow); // let go of bodies nobody will read, before queueing
            await writer.WriteAsync(new FlowRecord(redactor.Apply(stored), analysis.Findings, analysis.LimitsReached, keepBodies), cancellationToken);
        }
    }

    private static Flow WithoutBodies(Flow flow) => flow with
    {
        RequestBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, flow.RequestBody.WireLength),
        ResponseBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, flow.ResponseBody.WireLength),
    };
}
