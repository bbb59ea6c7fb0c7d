using System.Runtime.InteropServices;
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

    private HashSet<(string Rule, string Value, string Path)>? _seen; // most flows have no finding: made on the first

    // A socket that repeats an identifier in each of 10,000 messages is one finding (on the first message) that says how
    // many more messages carried it, not 10,000 findings; keyed by the path with the message index left out.
    private Dictionary<(string Rule, string Value, string Path), (int Finding, int More)>? _perMessage;

    private readonly IReadOnlyList<Rule> _layoutRules;
    private List<PayloadLayout>? _layouts;

    /// <param name="layoutRules">Endpoint rules with an SDK payload layout: the flow is matched against them when a finding needs it.</param>
    public DetectionContext(Flow flow, DecodedRequest decoded, string site, IReadOnlyList<Rule>? layoutRules = null)
    {
        Flow = flow;
        Decoded = decoded;
        Site = site;
        _layoutRules = layoutRules ?? [];
    }

    public Flow Flow { get; }

    public DecodedRequest Decoded { get; }

    /// <summary>The registrable domain of the request's host.</summary>
    public string Site { get; }

    public List<Finding> Findings { get; } = [];

    /// <summary>The SDK layouts of the endpoints this flow matches (worked out on the first finding: most flows have none).</summary>
    public IReadOnlyList<PayloadLayout> Layouts => _layouts ??= _layoutRules
        .Where(rule => rule.Endpoint!.Matches(Flow, ParameterNames)).Select(rule => rule.Payload!).ToList();

    /// <summary>The findings, those repeated across WebSocket messages saying in how many more they were.</summary>
    public IReadOnlyList<Finding> Result()
    {
        foreach (var (index, more) in _perMessage?.Values ?? Enumerable.Empty<(int, int)>())
        {
            if (more > 0)
            {
                var finding = Findings[index];
                Findings[index] = finding with { MatchedAs = $"{finding.MatchedAs}; also in {more} later message{(more == 1 ? "" : "s")}" };
            }
        }

        return Findings;
    }

    /// <summary>The leaves detectors read: every decoded value except containers already read through their children.</summary>
    public ReadableLeaves Values => new(CollectionsMarshal.AsSpan(Decoded.Leaves));

    /// <summary>Names of the query parameters and of form-body fields (top level only).</summary>
    public IReadOnlySet<string> ParameterNames => Decoded.ParameterNames;

    /// <summary><c>ws[12].client → json.aid</c> as <c>ws[].client → json.aid</c>.</summary>
    private static string? MessageIndependent(string path)
    {
        var close = path.IndexOf(']');
        return path.StartsWith("ws[", StringComparison.Ordinal) && close > 0 ? string.Concat("ws[]", path.AsSpan(close + 1)) : null;
    }

    /// <param name="severity">Lower than the rule's for what the rule's severity overstates (a browser's own header).</param>
    public void Add(Rule rule, string value, string matchedAs, LeafPath path, string snippet, Severity? severity = null)
    {
        var pathText = path.ToString();
        var shape = path.LocationKind == "ws" ? MessageIndependent(pathText) : null;
        if (shape is not null && _perMessage is not null && _perMessage.TryGetValue((rule.Id, value, shape), out var first))
        {
            _perMessage[(rule.Id, value, shape)] = (first.Finding, first.More + 1);
            return;
        }

        if (Findings.Count >= MaxFindings)
        {
            var note = $"finding limit ({MaxFindings}) reached; later matches were not recorded";
            if (!Decoded.LimitsReached.Contains(note))
            {
                Decoded.LimitsReached.Add(note);
            }

            return;
        }

        if (!(_seen ??= []).Add((rule.Id, value, pathText)))
        {
            return;
        }

        if (shape is not null)
        {
            (_perMessage ??= [])[(rule.Id, value, shape)] = (Findings.Count, 0); // the finding about to be added
        }

        if (Layouts.Count > 0 && path.DocumentField is { } field)
        {
            foreach (var layout in Layouts)
            {
                if (layout.Describe(field) is { } named)
                {
                    matchedAs = $"{matchedAs} — {named}";
                }
            }
        }

        Findings.Add(new Finding
        {
            RuleId = rule.Id,
            Title = rule.Title,
            Severity = severity ?? rule.Severity,
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
