using MiAudit.Detection.Findings;
using MiAudit.Detection.Loading;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Tests.Rules;

public class RuleFileTests
{
    [Fact]
    public void The_built_in_rules_load_and_cover_every_detector()
    {
        var rules = RuleSet.BuiltIn();

        Assert.All(Enum.GetValues<RuleKind>().Where(k => k != RuleKind.Value), kind => Assert.NotEmpty(rules.Enabled(kind)));
        Assert.Equal(16, rules.Hash.Length);
    }

    [Fact]
    public void A_user_file_adds_rules_and_overrides_built_ins_by_id()
    {
        const string file = """
            rules:
              - id: referer-url-leak
                kind: referer-url
                title: Referer leak (raised for this study)
                category: url-leak
                severity: medium
              - id: device-attribute
                kind: device-attribute
                title: off
                category: fingerprint
                severity: low
                enabled: false
              - id: honey-email
                kind: value
                title: Honey e-mail address
                category: account
                severity: critical
                match:
                  values: [honey.pot.7731@example.org]
                  regex: ['honey\.pot\.\d+@example\.org']
            """;
        var rules = RuleSet.BuiltIn().With(file, "study.yaml");

        Assert.Equal(Severity.Medium, rules.Rules.Single(r => r.Id == "referer-url-leak").Severity);
        Assert.Empty(rules.Enabled(RuleKind.DeviceAttribute));
        Assert.Equal("study.yaml:13", rules.Rules.Single(r => r.Id == "honey-email").Source);
        Assert.NotEqual(RuleSet.BuiltIn().Hash, rules.Hash);

        var findings = new DetectionEngine(rules).Analyze(FlowBuilder.Get("https://t.example.net/c?e=honey.pot.7731%40example.org&f=honey.pot.42%40example.org").Build()).Findings;
        Assert.Contains(findings, f => f.RuleId == "honey-email" && f.MatchedAs == "listed value" && f.Severity == Severity.Critical);
        Assert.Contains(findings, f => f.RuleId == "honey-email" && f.MatchedAs.StartsWith("matches /") && f.Value == "honey.pot.42@example.org");
    }

    [Theory]
    [InlineData("rules:\n  - id: x\n    kind: endpoint\n    title: t\n    category: c\n    severity: hgh\n    match: {hosts: [a.example]}\n", 6, "unknown severity 'hgh'")]
    [InlineData("rules:\n  - id: x\n    kind: endpoints\n    title: t\n    category: c\n    severity: low\n", 3, "unknown kind 'endpoints'")]
    [InlineData("rules:\n  - id: x\n    kind: endpoint\n    title: t\n    category: c\n    severity: low\n    match:\n      hosts: ['re:(unclosed']\n", 8, "Invalid pattern")]
    [InlineData("rules:\n  - id: x\n    kind: endpoint\n    title: t\n    category: c\n    severity: low\n    match: {path: /sa, hots: [a]}\n", 7, "unknown key 'hots'")]
    [InlineData("rules:\n  - id: x\n    kind: endpoint\n    title: t\n    category: c\n    severity: low\n", 2, "needs 'match'")]
    [InlineData("rules:\n  - id: x\n    title: t\n", 2, "needs 'kind'")]
    [InlineData("rules:\n  - id: Bad Id\n", 2, "must be lower-case")]
    [InlineData("rules: [\n", 2, "")]
    public void Invalid_rules_fail_at_load_with_file_line_and_reason(string text, int line, string reason)
    {
        var error = Assert.Throws<ConfigurationFileException>(() => RuleSet.BuiltIn().With(text, "bad.yaml"));

        Assert.Equal("bad.yaml", error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Message);
        Assert.StartsWith($"bad.yaml:{line}:", error.Message);
    }

    [Fact]
    public void Json_rule_files_work_too()
    {
        const string json = """{"rules":[{"id":"t","kind":"endpoint","title":"T","category":"telemetry","severity":"low","match":{"hosts":["*.tracker.example"],"methods":["POST"]}}]}""";
        var engine = new DetectionEngine(RuleSet.BuiltIn().With(json, "r.json"));

        Assert.Contains(engine.Analyze(FlowBuilder.Post("https://a.tracker.example/x").Build()).Findings, f => f.RuleId == "t");
        Assert.DoesNotContain(engine.Analyze(FlowBuilder.Get("https://a.tracker.example/x").Build()).Findings, f => f.RuleId == "t");
    }
}
