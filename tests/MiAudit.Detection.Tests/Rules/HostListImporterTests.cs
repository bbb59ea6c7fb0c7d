using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Tests.Rules;

public class HostListImporterTests
{
    [Fact]
    public void A_plain_domain_list_matches_the_domains_and_their_subdomains()
    {
        const string list = "# trackers\nadservice.example.com\n0.0.0.0 metrics.example.net # hosts-file style\n\n*.wild.example.org\n";
        var rules = HostListImporter.Import(list, "/lists/my-trackers.txt");
        var engine = new DetectionEngine(RuleSet.BuiltIn().With(rules, list));

        foreach (var host in new[] { "adservice.example.com", "eu.adservice.example.com", "metrics.example.net", "a.wild.example.org" })
        {
            Assert.Contains(engine.Analyze(FlowBuilder.Get($"https://{host}/p").Build()).Findings, f => f.RuleId == "hostlist.my-trackers" && f.Category == "tracker");
        }

        Assert.Empty(engine.Analyze(FlowBuilder.Get("https://example.com/p").Build()).Findings);
    }

    [Fact]
    public void The_exodus_tracker_format_turns_network_signatures_into_rules()
    {
        const string exodus = """
            {"trackers": {
              "64": {"name": "Sensors Analytics", "code_signature": "com.sensorsdata.analytics", "network_signature": "sensorsdata\\.cn", "website": "https://www.sensorsdata.cn"},
              "70": {"name": "No network", "code_signature": "com.example", "network_signature": "", "website": ""}
            }}
            """;
        var rules = HostListImporter.Import(exodus, "exodus.json");

        var rule = Assert.Single(rules);
        Assert.Equal("exodus.64-sensors-analytics", rule.Id);
        var engine = new DetectionEngine(RuleSet.BuiltIn().With(rules, exodus));
        Assert.Contains(engine.Analyze(FlowBuilder.Get("https://sdk.datasink.sensorsdata.cn/sa").Build()).Findings, f => f.RuleId == rule.Id);
    }
}
