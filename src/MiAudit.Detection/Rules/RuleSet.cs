using System.Security.Cryptography;
using System.Text;
using MiAudit.Detection.Loading;

namespace MiAudit.Detection.Rules;

/// <summary>
/// The rules in force: the built-in ones, then the researcher's files in order; a later rule with the same id
/// replaces the earlier one (to change a severity, or switch a rule off with <c>enabled: false</c>).
/// </summary>
public sealed class RuleSet
{
    private readonly List<Rule> _rules;

    private RuleSet(List<Rule> rules, string fingerprintText)
    {
        _rules = rules;
        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprintText)))[..16];
    }

    public IReadOnlyList<Rule> Rules => _rules;

    /// <summary>A short hash of every rule source that went into this set, stored with sessions so results stay comparable.</summary>
    public string Hash { get; }

    public IEnumerable<Rule> Enabled(RuleKind kind) => _rules.Where(r => r.Enabled && r.Kind == kind);

    public static RuleSet BuiltIn() => Empty.With(BuiltInText(), "builtin");

    private static RuleSet Empty { get; } = new([], "");

    /// <summary>The built-in rules as shipped, for <c>miaudit rules list</c> and the docs.</summary>
    public static string BuiltInText()
    {
        using var stream = typeof(RuleSet).Assembly.GetManifestResourceStream("MiAudit.Detection.builtin-rules.yaml")!;
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>This set plus the rules of one more file (same ids replace earlier rules).</summary>
    /// <exception cref="ConfigurationFileException">The file is invalid.</exception>
    public RuleSet With(string text, string sourceName) => With(RuleFileReader.Parse(text, sourceName), text);

    public RuleSet With(IReadOnlyList<Rule> added, string fingerprintText)
    {
        var rules = new List<Rule>(_rules);
        foreach (var rule in added)
        {
            var existing = rules.FindIndex(r => r.Id == rule.Id);
            if (existing >= 0)
            {
                rules[existing] = rule;
            }
            else
            {
                rules.Add(rule);
            }
        }

        return new RuleSet(rules, Hash + "\n" + fingerprintText);
    }

    /// <summary>The built-in rules plus every file given (a directory means its *.yaml, *.yml and *.json files, sorted).</summary>
    public static RuleSet Load(IEnumerable<string> paths)
    {
        var set = BuiltIn();
        foreach (var path in paths)
        {
            IEnumerable<string> files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml") || f.EndsWith(".yml") || f.EndsWith(".json")).Order()
                : [path];
            foreach (var file in files)
            {
                set = set.With(File.ReadAllText(file), file);
            }
        }

        return set;
    }
}
