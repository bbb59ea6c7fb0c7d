using MiAudit.Detection.Decoding;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Detectors;

/// <summary>Flags requests to telemetry endpoints, by host, path, method and parameter shape.</summary>
public sealed class EndpointDetector(RuleSet rules) : IDetector
{
    private static readonly LeafPath RequestLine = LeafPath.Root("request-line");

    private readonly Rule[] _rules = rules.Enabled(RuleKind.Endpoint).ToArray();

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

            var because = new List<string>();
            if (pattern.Hosts.Count > 0)
            {
                because.Add($"host matches {string.Join(" | ", pattern.Hosts)}");
            }

            if (pattern.Path is not null)
            {
                because.Add($"path matches {pattern.Path}");
            }

            if (pattern.ParameterGroups.Count > 0)
            {
                because.Add("parameters " + string.Join(", ", pattern.ParameterGroups.Select(g => EndpointPattern.FirstPresent(g, context.ParameterNames))));
            }

            context.Add(rule, flow.Host + flow.Path, string.Join("; ", because), RequestLine, Snippet.Clip($"{flow.Method} {flow.Url}"));
        }
    }
}
