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
    private readonly DecodeLimits _limits;
    private readonly PublicSuffixList _sites;

    public DetectionEngine(RuleSet rules, DeviceProfile? profile = null, DecodeLimits? limits = null, PublicSuffixList? sites = null)
    {
        Rules = rules;
        Profile = profile ?? DeviceProfile.Empty;
        _limits = limits ?? DecodeLimits.Default;
        _sites = sites ?? PublicSuffixList.Default;
        History = new NavigationHistory(_sites);
        var profileDetector = new DeviceProfileDetector(rules, Profile);
        SkippedProfileValues = profileDetector.Skipped;
        _detectors =
        [
            new EndpointDetector(rules),
            new EncryptedPayloadDetector(rules),
            new UrlLeakDetector(rules, History, _sites),
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

    /// <summary>Profile values not searched for (too short, or placeholders such as 02:00:00:00:00:00).</summary>
    public IReadOnlyList<ProfileValue> SkippedProfileValues { get; }

    /// <summary>Learns navigations and searches from a request as soon as its head is known.</summary>
    public void ObserveRequest(Flow request) => History.Observe(request);

    /// <summary>
    /// Always returns: a decoding that fails becomes a note on its leaf, and a detector that fails (a MiAudit bug, never
    /// the traffic's fault) becomes a note naming it, so no bytes an audited party sends can keep a flow from the record.
    /// </summary>
    public FlowAnalysis Analyze(Flow flow)
    {
        var decoded = flow.Transport is FlowTransport.PassthroughTls or FlowTransport.OpaqueTcp
            ? new DecodedRequest() // only the tunnel's host is known
            : RequestDecoder.Decode(flow, _limits);
        var context = new DetectionContext(flow, decoded, _sites.RegistrableDomain(flow.Host));
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
            : new FlowAnalysis(context.Result(), decoded.LimitsReached);
    }

    /// <summary>Offline analysis of stored or imported flows: learn every navigation first, then analyse in order.</summary>
    public IEnumerable<(Flow Flow, FlowAnalysis Analysis)> AnalyzeAll(IReadOnlyList<Flow> flows)
    {
        var ordered = flows.OrderBy(f => f.StartedAt).ToList();
        foreach (var flow in ordered)
        {
            ObserveRequest(flow);
        }

        foreach (var flow in ordered)
        {
            yield return (flow, Analyze(flow));
        }
    }
}
