using System.Collections.Concurrent;
using MiAudit.Detection;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Writing;
using Microsoft.Extensions.Logging;

namespace MiAudit.Cli.Run;

/// <summary>What to keep: flagged flows only (with bodies), or every flow (bodies of unflagged ones optional).</summary>
public sealed record StorePolicy(bool StoreAll, bool UnflaggedBodies, Severity FlagThreshold);

/// <summary>
/// The proxy's observer in <c>miaudit run</c>: learns navigations from request heads, stages every finished flow with
/// the writer before analysing it (so a lagging detection cannot lose it), shows flagged ones live and hands the store
/// what the policy keeps. A request that taught a visited page is kept too (its head: a finding names that visit, and
/// a rescan learns it again from there), and a page learned re-checks the client's flows of the visit window.
/// </summary>
public sealed class AuditPipeline : IFlowObserver, IRequestObserver, IFlowJournal, IAsyncDisposable
{
    private readonly DetectionEngine? _engine;
    private readonly FlowWriter? _writer;
    private readonly StorePolicy _policy;
    private readonly HeaderRedactor _redactor;
    private readonly LiveView _view;
    private readonly VisitRecheck? _recheck;
    private readonly ConcurrentDictionary<Guid, byte> _taught = new();

    public AuditPipeline(DetectionEngine? engine, FlowWriter? writer, StorePolicy policy, HeaderRedactor redactor, LiveView view, ILogger logger)
    {
        (_engine, _writer, _policy, _redactor, _view) = (engine, writer, policy, redactor, view);
        _recheck = engine is null ? null : new VisitRecheck(engine, ReviseAsync, logger);
    }

    public void OnRequest(Flow request)
    {
        if (_engine?.ObserveRequest(request) == true)
        {
            _taught[request.Id] = 0;
            _recheck!.Learned(request.ClientAddress, request.StartedAt);
        }
    }

    public void OnFlowFinished(Flow flow)
    {
        // Without detection the verdict is immediate (OnFlowAsync); with it, the flow may be kept before it arrives.
        if (_engine is not null)
        {
            _writer?.Stage(_redactor.Apply(flow));
        }
    }

    public async ValueTask OnFlowAsync(Flow flow, CancellationToken cancellationToken)
    {
        var generation = _recheck?.Generation(flow.ClientAddress) ?? 0;
        var analysis = _engine?.Analyze(flow) ?? FlowAnalysis.None;
        _view.Report(flow, analysis);
        if (flow.InProgress)
        {
            if (_writer is not null && (analysis.IsFlagged(_policy.FlagThreshold) || _policy.StoreAll))
            {
                await _writer.WriteAsync(Record(flow, analysis), cancellationToken);
            }

            return; // a snapshot of a running exchange is stored on the policy's terms; its finished flow decides the rest
        }

        var taught = _taught.TryRemove(flow.Id, out _);
        var stored = false;
        if (_writer is not null)
        {
            stored = Keeps(flow, analysis) || taught;
            if (stored)
            {
                await _writer.WriteAsync(Record(flow, analysis), cancellationToken);
            }
            else if (_engine is not null)
            {
                _writer.Discard(flow.Id);
            }
        }

        _recheck?.Remember(flow, analysis, stored, generation);
    }

    /// <summary>Finishes the re-checks under way; call once the proxy stopped, before the writer closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_recheck is not null)
        {
            await _recheck.DisposeAsync();
        }
    }

    /// <summary>What was not audited is on the record whatever the policy.</summary>
    private bool Keeps(Flow flow, FlowAnalysis analysis) => analysis.IsFlagged(_policy.FlagThreshold) || _policy.StoreAll || flow.NotDecrypted;

    private async ValueTask<bool> ReviseAsync(VisitRecheck.Recent recent, FlowAnalysis analysis)
    {
        _view.ReportRevised(recent.Flow, recent.Analysis, analysis);
        if (_writer is null || !(recent.Stored || Keeps(recent.Flow, analysis)))
        {
            return recent.Stored;
        }

        await _writer.ReviseAsync(Record(recent.Flow, analysis), recent.Stored);
        return true;
    }

    private FlowRecord Record(Flow flow, FlowAnalysis analysis)
    {
        var keepBodies = analysis.IsFlagged(_policy.FlagThreshold) || _policy.UnflaggedBodies;
        var stored = keepBodies ? flow : WithoutBodies(flow); // let go of bodies nobody will read, before queueing
        return new FlowRecord(_redactor.Apply(stored), analysis.Findings, analysis.LimitsReached, keepBodies);
    }

    private static Flow WithoutBodies(Flow flow) => flow with
    {
        RequestBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, flow.RequestBody.WireLength, flow.RequestBody.Ended),
        ResponseBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, flow.ResponseBody.WireLength, flow.ResponseBody.Ended),
    };
}
