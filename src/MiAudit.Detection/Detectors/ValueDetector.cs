using MiAudit.Detection.Matching;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Detectors;

/// <summary>The researcher's own values (honey values: a test account's email, a made-up name) and patterns.</summary>
public sealed class ValueDetector : IDetector
{
    private readonly Rule[] _rules;
    private readonly PatternSet<(Rule Rule, string Value)>? _values;

    public ValueDetector(RuleSet rules)
    {
        _rules = rules.Enabled(RuleKind.Value).ToArray();
        var literals = _rules.SelectMany(r => r.Values.Select(v => (v, (r, v), false))).ToArray();
        _values = literals.Length == 0 ? null : new PatternSet<(Rule, string)>(literals);
    }

    public void Detect(DetectionContext context)
    {
        if (_rules.Length == 0)
        {
            return;
        }

        foreach (var leaf in context.Values)
        {
            if (_values is not null)
            {
                foreach (var match in _values.Find(leaf.Text, static (_, _) => true, static tag => tag))
                {
                    context.Add(match.Tag.Rule, match.Tag.Value, "listed value", leaf.Path, Snippet.Around(leaf.Text, match.Start, match.Length));
                }
            }

            foreach (var rule in _rules)
            {
                for (var i = 0; i < rule.Patterns.Count; i++) // indexed: no enumerator per leaf and rule
                {
                    var pattern = rule.Patterns[i];
                    if (pattern.Match(leaf.Text) is { Success: true } match)
                    {
                        context.Add(rule, match.Value, $"matches /{pattern}/", leaf.Path, Snippet.Around(leaf.Text, match.Index, match.Length));
                    }
                }
            }
        }
    }
}
