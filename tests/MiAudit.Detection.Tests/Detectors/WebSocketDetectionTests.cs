using MiAudit.Flows;

namespace MiAudit.Detection.Tests.Detectors;

/// <summary>WebSocket messages the client sent are scanned, each as a location of its own that names the message.</summary>
public class WebSocketDetectionTests
{
    private const string Article = "https://www.dailynews.example/politics/article-42?ref=home";
    private const string Chat = "wss://chat.tracker.example.net/socket";

    [Fact]
    public void Identifiers_and_visited_urls_in_client_messages_are_found_where_they_sit()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Article);

        var findings = engine.Analyze(FlowBuilder.Get(Chat.Replace("wss", "https"))
            .Message(MessageDirection.Client, "hello")
            .Message(MessageDirection.Server, "welcome")
            .Message(MessageDirection.Client, $$$"""{"event":"page","url":"{{{Article}}}","device":{"aid":"{{{TestDevice.AndroidId}}}"}}"""));

        var id = Assert.Single(findings, f => f.Value == TestDevice.AndroidId);
        Assert.Equal("ws[2].client → json.device.aid", id.LeafPath);
        var leak = Assert.Single(findings, f => f.RuleId == "visited-url-leak");
        Assert.Equal("ws[2].client → json.url", leak.LeafPath);
    }

    [Fact]
    public void What_the_server_sends_is_not_taken_for_what_the_phone_leaked()
    {
        var findings = TestDevice.Engine().Analyze(FlowBuilder.Get("https://chat.tracker.example.net/socket")
            .Message(MessageDirection.Server, $$$"""{"echo":{"imei":"{{{TestDevice.Imei}}}"}}"""));

        Assert.DoesNotContain(findings, f => f.Value == TestDevice.Imei);
    }

    [Fact]
    public void A_socket_repeating_an_identifier_in_every_message_is_found_without_a_finding_per_message()
    {
        var builder = FlowBuilder.Get("https://chat.tracker.example.net/socket");
        for (var i = 0; i < 10_000; i++)
        {
            builder.Message(MessageDirection.Client, $$"""{"n":{{i}},"imei":"{{TestDevice.Imei}}"}""");
        }

        var findings = TestDevice.Engine().Analyze(builder);

        var imei = Assert.Single(findings, f => f.Value == TestDevice.Imei && f.RuleId.StartsWith("device-"));
        Assert.Equal("ws[0].client → json.imei", imei.LeafPath);
        Assert.True(imei.MatchedAs.EndsWith("later messages"), imei.MatchedAs);
        Assert.True(findings.Count < 100, $"{findings.Count} findings");
    }

    [Fact]
    public void Repeated_message_findings_past_the_finding_limit_do_not_break_the_analysis()
    {
        // 500 distinct findings before the socket's messages fill the flow's finding limit.
        var query = string.Join("&", Enumerable.Range(0, MiAudit.Detection.Detectors.DetectionContext.MaxFindings).Select(i => $"p{i}={TestDevice.Imei}"));
        var builder = FlowBuilder.Get($"https://chat.tracker.example.net/socket?{query}");
        for (var i = 0; i < 3; i++)
        {
            builder.Message(MessageDirection.Client, $$$"""{"aid":"{{{TestDevice.AndroidId}}}"}""");
        }

        var findings = TestDevice.Engine().Analyze(builder);

        Assert.Equal(MiAudit.Detection.Detectors.DetectionContext.MaxFindings, findings.Count);
        Assert.DoesNotContain(findings, f => f.LeafPath.StartsWith("ws[", StringComparison.Ordinal));
    }
}
