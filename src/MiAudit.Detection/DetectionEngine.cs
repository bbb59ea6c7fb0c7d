using MiAudit.Detection.Decoding;
using MiAudit.Detection.Detectors;
using MiAudit.Detection.Findings;
using MiAudit.Detection.History;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;
using MiAudit.Detection.Sites;
using MiAudit.Flows;

namespace MiAudit.Detection;

/// <summary>
/// Runs every detector over a flow and returns its findings. Pure: no I/O; its only state is what the clients
/// browsed (learned through <see cref="ObserveRequest"/>). Safe to call from several threads.
/// </summary>
public sealed class DetectionEngine
{
    private readonly IDetector[] _detectors;
    private readonly Rule[] _layouts;
    private readonly bool _composesUrls;
    private readonly DecodeLimits _limits;
    private readonly PublicSuffixList _sites;

    /// <summary>How long before its navigation a request may carry the visited URL and still count (typed-URL telemetry).</summary>
    public static readonly TimeSpan DefaultVisitWindow = TimeSpan.FromSeconds(30);

    public DetectionEngine(RuleSet rules, DeviceProfile? profile = null, DecodeLimits? limits = null, PublicSuffixList? sites = null,
        TimeSpan? visitWindow = null)
    {
        Rules = rules;
        VisitWindow = visitWindow ?? DefaultVisitWindow;
        Profile = profile ?? DeviceProfile.Empty;
        _limits = limits ?? DecodeLimits.Default;
        _sites = sites ?? PublicSuffixList.Default;
        History = new NavigationHistory(_sites);
        _layouts = rules.Enabled(RuleKind.Endpoint).Where(r => r.Payload is not null).ToArray();
        _composesUrls = _layouts.Any(r => r.Payload!.Urls.Count > 0);
        var profileDetector = new DeviceProfileDetector(rules, Profile);
        SkippedProfileValues = profileDetector.Skipped;
        _detectors =
        [
            new EndpointDetector(rules),
            new EncryptedPayloadDetector(rules),
            new UrlLeakDetector(rules, History, _sites, VisitWindow),
            profileDetector,
            new IdentifierFormatDetector(rules, Profile),
            new ValueDetector(rules),
        ];
    }

    /// <summary>How a note about a failed detector starts (callers count these as MiAudit errors).</summary>
    public const string DetectorFailurePrefix = "detector failed: ";

    public RuleSet Rules { get; }

    public DeviceProfile Profile { get; }

    public NavigationHistory History { get; }

    /// <summary>A visit counts for requests that finished up to this long before it (see <see cref="UrlLeakDetector"/>).</summary>
    public TimeSpan VisitWindow { get; }

    /// <summary>Profile values not searched for (too short, or placeholders such as 02:00:00:00:00:00).</summary>
    public IReadOnlyList<ProfileValue> SkippedProfileValues { get; }

    /// <summary>
    /// Learns navigations and searches from a request as soon as its head is known. True when it taught something new:
    /// flows that finished up to <see cref="VisitWindow"/> before it may then have findings they had not when analysed,
    /// and the request is evidence a later rescan needs.
    /// </summary>
    public bool ObserveRequest(Flow request) => History.Observe(request);

    /// <summary>
    /// Always returns: a decoding that fails becomes a note on its leaf, and a detector that fails (a MiAudit bug, never
    /// the traffic's fault) becomes a note naming it, so no bytes an audited party sends can keep a flow from the record.
    /// </summary>
    public FlowAnalysis Analyze(Flow flow)
    {
        // The decoded leaves live only as long as one analysis: one buffer per thread is reused, so the lists a
        // request grows (tens of leaves, hundreds in a batch) are not allocated again for every request.
        var decoded = t_decoded ?? new DecodedRequest();
        t_decoded = null; // a detector that analyses another flow (none does) would get a buffer of its own
        try
        {
            return Analyze(flow, decoded);
        }
        finally
        {
            decoded.Clear();
            if (decoded.Leaves.Capacity <= MaxKeptLeaves)
            {
                t_decoded = decoded;
            }
        }
    }

    private const int MaxKeptLeaves = 1024; // a huge batch's room is not held for the thread's lifetime

    [ThreadStatic]
    private static DecodedRequest? t_decoded;

    private FlowAnalysis Analyze(Flow flow, DecodedRequest decoded)
    {
        if (flow.Transport is not (FlowTransport.PassthroughTls or FlowTransport.OpaqueTcp)) // else only the tunnel's host is known
        {
            RequestDecoder.DecodeInto(flow, decoded, _limits);
        }

        var context = new DetectionContext(flow, decoded, _sites.RegistrableDomain(flow.Host), _layouts);
        if (_composesUrls && !flow.RequestBody.Bytes.IsEmpty && context.Layouts.Count > 0)
        {
            PageUrlComposer.Compose(decoded, context.Layouts); // before any detector reads the leaves
        }

        foreach (var detector in _detectors)
        {
            try
            {
                detector.Detect(context);
            }
            catch (Exception e) when (LeafExpander.IsDecodingFault(e))
            {
                decoded.LimitsReached.Add($"{DetectorFailurePrefix}{detector.GetType().Name}: {e.GetType().Name}: {e.Message}");
            }
        }

        return context.Findings.Count == 0 && decoded.LimitsReached.Count == 0
            ? FlowAnalysis.None
            : new FlowAnalysis(context.Result(), decoded.LimitsReached.ToArray());
    }

    /// <summary>
    /// Offline analysis of stored or imported flows, as the live proxy analyses them: in the order they finished, each
    /// once every request that started before its end plus <see cref="VisitWindow"/> has been learned from (live, that
    /// is the first analysis plus the re-checks a later visit triggers). Both sequences hold the same flows, sorted by
    /// start and by completion; they are read once each, so a database can be streamed.
    /// </summary>
    public IEnumerable<(T Item, FlowAnalysis Analysis)> AnalyzeRecorded<T>(IEnumerable<T> byStart, IEnumerable<T> byCompletion, Func<T, Flow> flowOf)
    {
        using var learning = byStart.GetEnumerator();
        var more = learning.MoveNext();
        foreach (var item in byCompletion)
        {
            var flow = flowOf(item);
            for (; more && flowOf(learning.Current).StartedAt <= flow.CompletedAt + VisitWindow; more = learning.MoveNext())
            {
                ObserveRequest(flowOf(learning.Current));
            }

            yield return (item, Analyze(flow));
        }
    }

    /// <summary><see cref="AnalyzeRecorded{T}"/> over flows in memory (an imported HAR, a rules test).</summary>
    public IEnumerable<(Flow Flow, FlowAnalysis Analysis)> AnalyzeAll(IReadOnlyList<Flow> flows) =>
        AnalyzeRecorded(flows.OrderBy(f => f.StartedAt), flows.OrderBy(f => f.CompletedAt), f => f);
}
