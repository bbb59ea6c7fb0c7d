using MiAudit.Detection.Decoding;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Rules;
using MiAudit.Flows;

namespace MiAudit.Detection.Detectors;

/// <summary>One flow under analysis: its decoded leaves, its site, and the findings collected so far.</summary>
public sealed class DetectionContext
{
    /// <summary>More findings than this on one flow are noise; the limit is noted instead.</summary>
    public const int MaxFindings = 500;

    private readonly HashSet<(string Rule, string Value, string Path)> _seen = [];
    private Leaf[]? _values;

    public DetectionContext(Flow flow, DecodedRequest decoded, string site)
    {
        Flow = flow;
        Decoded = decoded;
        Site = site;
    }

    public Flow Flow { get; }

    public DecodedRequest Decoded { get; }

    /// <summary>The registrable domain of the request's host.</summary>
    public string Site { get; }

    public List<Finding> Findings { get; } = [];

    /// <summary>The leaves detectors read: every decoded value except containers already read through their children.</summary>
    public IReadOnlyList<Leaf> Values => _values ??= Decoded.Leaves.Where(leaf => !leaf.Expanded).ToArray();

    /// <summary>Names of the query parameters and of form-body fields (top level only).</summary>
    public IReadOnlySet<string> ParameterNames => Decoded.ParameterNames;

    public void Add(Rule rule, string value, string matchedAs, LeafPath path, string snippet)
    {
        if (Findings.Count >= MaxFindings)
        {
            var note = $"finding limit ({MaxFindings}) reached; later matches were not recorded";
            if (!Decoded.LimitsReached.Contains(note))
            {
                Decoded.LimitsReached.Add(note);
            }

            return;
        }

        var pathText = path.ToString();
        if (!_seen.Add((rule.Id, value, pathText)))
        {
            return;
        }

        Findings.Add(new Finding
        {
            RuleId = rule.Id,
            Title = rule.Title,
            Severity = rule.Severity,
            Category = rule.Category,
            Value = value,
            MatchedAs = matchedAs,
            LeafPath = pathText,
            Transforms = path.Transforms,
            Snippet = snippet,
        });
    }
}

/// <summary>One detector: reads the context, adds findings. Detectors are independent of each other.</summary>
public interface IDetector
{
    void Detect(DetectionContext context);
}
