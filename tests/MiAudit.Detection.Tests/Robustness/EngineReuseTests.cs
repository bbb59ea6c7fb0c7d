using MiAudit.Detection.Decoding;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Rules;
using MiAudit.Flows;

namespace MiAudit.Detection.Tests.Robustness;

/// <summary>The engine reuses its decoding buffers per thread: no analysis may see, or lose, another's leaves and notes.</summary>
public sealed class EngineReuseTests
{
    [Fact]
    public void An_analysis_keeps_its_notes_and_sees_nothing_of_the_one_before()
    {
        var engine = new DetectionEngine(RuleSet.BuiltIn(), TestDevice.Profile, new DecodeLimits { MaxLeaves = 5 });
        var crowded = FlowBuilder.Get("https://t.example.net/c?" + string.Join('&', Enumerable.Range(0, 20).Select(i => $"p{i}=v{i}"))
            + $"&imei={TestDevice.Imei}").Build();
        var plain = FlowBuilder.Get($"https://u.example.net/d?did={TestDevice.AndroidId}").Build();

        var first = engine.Analyze(crowded);
        var second = engine.Analyze(plain);

        Assert.Contains(first.LimitsReached, note => note.StartsWith("leaf limit (5)", StringComparison.Ordinal));
        Assert.DoesNotContain(first.Findings, f => f.Value == TestDevice.Imei); // past the limit: not examined
        Assert.Empty(second.LimitsReached);
        Assert.Equal([TestDevice.AndroidId], second.Findings.Select(f => f.Value).Distinct());
        Assert.All(second.Findings, f => Assert.Equal("query[did]", f.LeafPath));
    }

    [Fact]
    public void Threads_analysing_side_by_side_find_what_one_thread_finds()
    {
        var engine = TestDevice.Engine();
        var flows = Enumerable.Range(0, 400).Select(i => (i % 4) switch
        {
            0 => FlowBuilder.Post($"https://sa.example.com/sa?n={i}").Form(SensorsWire.AndroidGzip([SensorsWire.PageView($"https://news.example.com/{i}")])),
            1 => FlowBuilder.Get($"https://t.example.net/p/{i}?imei={TestDevice.Imei}&mac={Uri.EscapeDataString(TestDevice.Mac)}"),
            2 => FlowBuilder.Get($"https://cdn.example.net/a{i}.js").Header("Cookie", $"sid=s{i}; did={TestDevice.AndroidId}"),
            _ => FlowBuilder.Get($"https://x.example.org/{i}?d=" + SensorsWire.JsBase64($"{{\"aid\":\"{TestDevice.AdvertisingId}\",\"n\":{i}}}")),
        }).Select(b => b.Build()).ToArray();
        var alone = flows.Select(f => Describe(engine.Analyze(f))).ToArray();

        var together = new string[flows.Length];
        Parallel.For(0, flows.Length * 5, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var at = i % flows.Length;
            var result = Describe(engine.Analyze(flows[at]));
            Assert.Equal(alone[at], result);
            together[at] = result;
        });

        Assert.Equal(alone, together);
        Assert.All(alone, Assert.NotEmpty);
    }

    private static string Describe(FlowAnalysis analysis) =>
        string.Join('\n', analysis.Findings.Select(f => $"{f.RuleId} {f.Value} {f.LeafPath} {string.Join('/', f.Transforms)}").Order())
        + string.Join('\n', analysis.LimitsReached);
}
