using System.Text;

namespace MiAudit.Detection.Tests.Detectors;

/// <summary>What must not be flagged: ordinary browsing produces no findings at all.</summary>
public class NegativeTests
{
    [Fact]
    public void Ordinary_browsing_requests_produce_no_findings()
    {
        var engine = TestDevice.Engine();
        engine.Navigate("https://news.example.com/");
        var random = new Random(42);
        var tokens = Enumerable.Range(0, 50).Select(_ =>
        {
            var bytes = new byte[24];
            random.NextBytes(bytes);
            return Convert.ToBase64String(bytes);
        });

        foreach (var token in tokens)
        {
            var findings = engine.Analyze(FlowBuilder.Get($"https://cdn.example.net/app.js?v={Uri.EscapeDataString(token)}")
                .Header("User-Agent", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")
                .Header("Cookie", $"session={token}; theme=dark")
                .Header("Accept-Language", "en-GB,en;q=0.9"));
            Assert.Empty(findings);
        }
    }

    [Fact]
    public void Hostile_bodies_are_analysed_within_limits_without_exceptions()
    {
        var engine = TestDevice.Engine();
        var bomb = SensorsWire.Gzip(new byte[100 * 1024 * 1024]);
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 3000)) + "1" + new string('}', 3000);
        var garbage = new byte[64 * 1024];
        new Random(1).NextBytes(garbage);

        var results = new[]
        {
            engine.Analyze(FlowBuilder.Post("https://t.example.net/a").Header("Content-Encoding", "gzip").Body(bomb, "application/json").Build()),
            engine.Analyze(FlowBuilder.Post("https://t.example.net/b").Body(nested, "application/json").Build()),
            engine.Analyze(FlowBuilder.Post("https://t.example.net/c").Body(garbage, "application/octet-stream").Build()),
            engine.Analyze(FlowBuilder.Post("https://t.example.net/d").Header("Content-Encoding", "gzip").Body(garbage, "application/json").Build()),
            engine.Analyze(FlowBuilder.Post("https://t.example.net/e").Body(Encoding.UTF8.GetBytes("\"\\ud800 not json"), "application/json").Build()),
        };

        Assert.Contains(results[0].LimitsReached, l => l.Contains("decompressed size limit"));
        Assert.Contains(results[1].LimitsReached, l => l.Contains("JSON nesting limit"));
    }
}
