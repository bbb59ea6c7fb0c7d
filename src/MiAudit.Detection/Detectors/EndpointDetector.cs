using System.Collections.Concurrent;
using MiAudit.Detection.Decoding;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Detectors;

/// <summary>Flags requests to telemetry endpoints, by host, path, method and parameter shape.</summary>
public sealed class EndpointDetector(RuleSet rules) : IDetector
{
    private static readonly LeafPath RequestLine = LeafPath.Root("request-line");

    private readonly Rule[] _rules = rules.Enabled(RuleKind.Endpoint).ToArray();

    // What a rule's host and path say never changes: made once per rule (on its first match: imported host lists
    // make thousands of rules), not once per matching request.
    private readonly ConcurrentDictionary<Rule, string> _reasons = new(ReferenceEqualityComparer.Instance);

    public void Detect(DetectionContext context)
    {
        var flow = context.Flow;
        foreach (var rule in _rules)
        {
            var pattern = rule.Endpoint!;
            if (!pattern.Matches(flow, context.ParameterNames))
            {
                continue;
            }

            var because = _reasons.GetOrAdd(rule, Reason);
            if (pattern.ParameterGroups.Count > 0)
            {
                var parameters = "parameters " + string.Join(", ", pattern.ParameterGroups.Select(g => EndpointPattern.FirstPresent(g, context.ParameterNames)));
                because = because.Length == 0 ? parameters : $"{because}; {parameters}";
            }

            context.Add(rule, flow.Host + flow.Path, because, RequestLine, Snippet.Clip($"{flow.Method} {flow.Url}"));
        }
    }

    private static string Reason(Rule rule)
    {
        var pattern = rule.Endpoint!;
        var parts = new List<string>(2);
        if (pattern.Hosts.Count > 0)
        {
            parts.Add($"host matches {string.Join(" | ", pattern.Hosts)}");
        }

        if (pattern.Path is not null)
        {
            parts.Add($"path matches {pattern.Path}");
        }

        return string.Join("; ", parts);
    }
}
