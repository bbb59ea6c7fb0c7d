namespace MiAudit.Detection.Tests.Detectors;

public class EndpointDetectorTests
{
    private static readonly object Event = SensorsWire.PageView("https://shop.example.com/");

    public static TheoryData<string, FlowBuilder> SensorsRequests => new()
    {
        { "JS image", FlowBuilder.Get($"https://collector.shop.example.com/sa.gif?project=default&{SensorsWire.JsTrackData(Event)}") },
        { "JS ajax", FlowBuilder.Post("https://sa.customer.example.net/sa.gif?project=prod").Form(SensorsWire.JsTrackData(Event)) },
        { "JS beacon (text/plain)", FlowBuilder.Post("https://sa.customer.example.net/sa.gif?project=prod").Body(SensorsWire.JsTrackData(Event), "text/plain;charset=UTF-8") },
        { "JS batch", FlowBuilder.Post("https://sa.customer.example.net/sa.gif?project=prod").Form(SensorsWire.JsBatch([Event])) },
        { "Android", FlowBuilder.Post("https://sa.api.intl.miui.com/sa?project=global_browser_mini&r=IN").Form(SensorsWire.AndroidGzip([Event])) },
        { "Android debug", FlowBuilder.Post("https://tracking.example.cn/debug?project=test").Form(SensorsWire.AndroidGzip([Event])) },
    };

    [Theory]
    [MemberData(nameof(SensorsRequests))]
    public void Sensors_analytics_uploads_are_recognised_on_any_host(string sdk, FlowBuilder request)
    {
        var findings = TestDevice.Engine().Analyze(request);

        Assert.True(findings.Any(f => f.RuleId == "sensors-analytics-endpoint"), $"{sdk}: {string.Join(", ", findings.Select(f => f.RuleId))}");
    }

    [Fact]
    public void Xiaomi_telemetry_hosts_are_flagged_by_host()
    {
        var engine = TestDevice.Engine();
        foreach (var host in new[] { "sa.api.intl.miui.com", "tracking.miui.com", "tracking.india.miui.com", "data.mistat.xiaomi.com", "data.mistat.rus.xiaomi.com" })
        {
            var findings = engine.Analyze(FlowBuilder.Get($"https://{host}/anything"));
            Assert.Contains(findings, f => f.RuleId == "xiaomi-telemetry-host" && f.Category == "telemetry");
        }

        Assert.DoesNotContain(engine.Analyze(FlowBuilder.Get("https://tracking.miui.com.evil.example/x")), f => f.RuleId == "xiaomi-telemetry-host");
    }

    [Fact]
    public void An_ordinary_request_to_a_sa_path_without_the_sdk_parameters_is_not_flagged()
    {
        var findings = TestDevice.Engine().Analyze(FlowBuilder.Get("https://www.example.com/sa?lang=en"));

        Assert.DoesNotContain(findings, f => f.RuleId == "sensors-analytics-endpoint");
    }

    [Fact]
    public void Encrypted_payloads_flag_the_endpoint_and_are_labelled_encrypted()
    {
        var findings = TestDevice.Engine().Analyze(FlowBuilder.Post("https://sa.customer.example.net/sa?project=prod").Form(SensorsWire.AndroidEncrypted()));

        Assert.Contains(findings, f => f.RuleId == "sensors-analytics-endpoint");
        var encrypted = Assert.Single(findings, f => f.RuleId == "encrypted-telemetry-payload");
        Assert.Equal("body.form[data_list] → base64 → json[0]", encrypted.LeafPath);
        Assert.Equal(["base64", "json"], encrypted.Transforms);
    }
}
