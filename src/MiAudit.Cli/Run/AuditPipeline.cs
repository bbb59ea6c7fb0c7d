using MiAudit.Detection;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Writing;

namespace MiAudit.Cli.Run;

/// <summary>What to keep: flagged flows only (with bodies), or every flow (bodies of unflagged ones optional).</summary>
public sealed record StorePolicy(bool StoreAll, bool UnflaggedBodies, Severity FlagThreshold);

/// <summary>
/// The proxy's observer in <c>miaudit run</c>: learns navigations from request heads, stages every finished flow with
/// the writer before analysing it (so a lagging detection cannot lose it), shows flagged ones live and hands the store
/// what the policy keeps.
/// </summary>
public sealed class AuditPipeline(DetectionEngine? engine, FlowWriter? writer, StorePolicy policy, HeaderRedactor redactor, LiveView view)
    : IFlowObserver, IRequestObserver, IFlowJournal
{
    public void OnRequest(Flow request) => engine?.ObserveRequest(request);

    public void OnFlowFinished(Flow flow)
    {
        // Without detection the verdict is immediate (OnFlowAsync); with it, the flow may be kept before it arrives.
        if (engine is not null)
        {
            writer?.Stage(redactor.Apply(flow));
        }
    }

    public async ValueTask OnFlowAsync(Flow flow, CancellationToken cancellationToken)
    {
        var analysis = engine?.Analyze(flow) ?? FlowAnalysis.None;
        view.Report(flow, analysis);
        var flagged = analysis.IsFlagged(policy.FlagThreshold);
        if (writer is null)
        {
            return;
        }

        if (flow.InProgress && !(flagged || policy.StoreAll))
        {
            return; // a snapshot of a running exchange is stored on the policy's terms; its finished flow decides the rest
        }

        if (flagged || policy.StoreAll || flow.NotDecrypted) // what was not audited is on the record whatever the policy
        {
            var keepBodies = flagged || policy.UnflaggedBodies;
            var stored = keepBodies ? flow : WithoutBodies(flow); // let go of bodies nobody will read, before queueing
            await writer.WriteAsync(new FlowRecord(redactor.Apply(stored), analysis.Findings, analysis.LimitsReached, keepBodies), cancellationToken);
        }
        else if (engine is not null)
        {
            writer.Discard(flow.Id);
        }
    }

    private static Flow WithoutBodies(Flow flow) => flow with
    {
        RequestBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, flow.RequestBody.WireLength, flow.RequestBody.Ended),
        ResponseBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, flow.ResponseBody.WireLength, flow.ResponseBody.Ended),
    };
}
