using System.Threading.Channels;
using MiAudit.Detection;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using Microsoft.Extensions.Logging;

namespace MiAudit.Cli.Run;

/// <summary>
/// The live half of the visit window (<see cref="DetectionEngine.VisitWindow"/>): flows analysed in the last window
/// are kept, and when a request teaches a page or search, that client's flows which finished no more than the window
/// before it are analysed again; those whose findings changed go to <c>revised</c>. Together with the first analysis
/// this gives what <c>scan</c> computes offline. One background loop does the re-checks, so they never delay a
/// response, and revisions of one flow are applied in order.
/// </summary>
internal sealed class VisitRecheck : IAsyncDisposable
{
    // Bounds on what is kept for re-checks (a phone makes a few thousand requests in a window; a load test far more):
    // a flow pushed out before its window passed is not re-checked.
    private const int MaxFlows = 5_000;
    private const long MaxBodyBytes = 32L << 20;

    private readonly DetectionEngine _engine;
    private readonly ILogger _logger;
    private readonly Func<Recent, FlowAnalysis, ValueTask<bool>> _revised;
    private readonly LinkedList<Recent> _recent = new();
    private readonly Lock _lock = new();
    private readonly Channel<Job> _jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _bodyBytes;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _learned = new(StringComparer.Ordinal);

    /// <param name="revised">Told the flow, its analysis before (in <see cref="Recent"/>) and now; returns whether the flow is stored now.</param>
    public VisitRecheck(DetectionEngine engine, Func<Recent, FlowAnalysis, ValueTask<bool>> revised, ILogger logger)
    {
        _engine = engine;
        _logger = logger;
        _revised = revised;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Changes whenever the client teaches something; read before an analysis to tell whether it may have missed it.</summary>
    public long Generation(string client) => _learned.GetValueOrDefault(client);

    /// <summary>A request taught a page or search at <paramref name="at"/>: re-check the client's recent flows.</summary>
    public void Learned(string client, DateTimeOffset at)
    {
        _learned.AddOrUpdate(client, 1, (_, n) => n + 1);
        _jobs.Writer.TryWrite(new Job(client, at, null));
    }

    /// <summary>
    /// Keeps a finished flow for re-checks after its verdict was handed to the store. If its client taught something
    /// since <paramref name="generation"/> (read before it was analysed), the analysis may have missed it: re-check it now.
    /// </summary>
    public void Remember(Flow flow, FlowAnalysis analysis, bool stored, long generation)
    {
        if (flow.NotDecrypted)
        {
            return; // nothing of its content was seen, so no later visit can change its verdict
        }

        var recent = new Recent(flow, analysis, stored);
        lock (_lock)
        {
            _recent.AddLast(recent);
            _bodyBytes += BodyMemoryBudget.SizeOf(flow);
            while (_recent.First is { } oldest && (_recent.Count > MaxFlows || _bodyBytes > MaxBodyBytes
                || oldest.Value.Flow.CompletedAt < flow.CompletedAt - 2 * _engine.VisitWindow))
            {
                _bodyBytes -= BodyMemoryBudget.SizeOf(oldest.Value.Flow);
                _recent.RemoveFirst();
            }
        }

        if (Generation(flow.ClientAddress) != generation)
        {
            _jobs.Writer.TryWrite(new Job(flow.ClientAddress, DateTimeOffset.MinValue, recent));
        }
    }

    private async Task RunAsync()
    {
        await foreach (var job in _jobs.Reader.ReadAllAsync())
        {
            foreach (var recent in job.Only is { } only ? [only] : Candidates(job.Client, job.At - _engine.VisitWindow))
            {
                var analysis = _engine.Analyze(recent.Flow);
                if (SameFindings(recent.Analysis, analysis))
                {
                    continue;
                }

                try
                {
                    recent.Stored = await _revised(recent, analysis);
                    recent.Analysis = analysis;
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Could not record the late findings of {Method} {Url}", recent.Flow.Method, recent.Flow.Url);
                }
            }
        }
    }

    private List<Recent> Candidates(string client, DateTimeOffset finishedFrom)
    {
        lock (_lock)
        {
            return _recent.Where(r => r.Flow.ClientAddress == client && r.Flow.CompletedAt >= finishedFrom).ToList();
        }
    }

    private static bool SameFindings(FlowAnalysis a, FlowAnalysis b) =>
        a.Findings.Count == b.Findings.Count
        && a.Findings.Zip(b.Findings).All(p => p.First.RuleId == p.Second.RuleId && p.First.Value == p.Second.Value
            && p.First.LeafPath == p.Second.LeafPath && p.First.MatchedAs == p.Second.MatchedAs);

    /// <summary>Finishes the re-checks already asked for (call after the proxy stopped, before the store closes).</summary>
    public async ValueTask DisposeAsync()
    {
        _jobs.Writer.TryComplete();
        await _loop;
    }

    /// <summary>A flow kept for re-checks, with its latest analysis and whether the store holds it.</summary>
    internal sealed class Recent(Flow flow, FlowAnalysis analysis, bool stored)
    {
        public Flow Flow { get; } = flow;

        public FlowAnalysis Analysis { get; set; } = analysis;

        public bool Stored { get; set; } = stored;
    }

    private readonly record struct Job(string Client, DateTimeOffset At, Recent? Only);
}
