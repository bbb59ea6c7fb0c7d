using System.IO.Compression;
using System.Text;

namespace MiAudit.Detection.Tests.Robustness;

/// <summary>
/// Bytes an audited party controls must never make detection throw: a value that cannot be decoded becomes a note,
/// and everything else in the request is still analysed.
/// </summary>
public sealed class PoisonInputTests
{
    private const string LoneSurrogateJson = $$"""{"aid":"{{TestDevice.AndroidId}}","x":"\ud800"}""";

    public static TheoryData<string, Func<FlowBuilder>> Carriers => new()
    {
        { "json body", () => FlowBuilder.Post("https://collector.example.net/e").Body(LoneSurrogateJson, "application/json") },
        { "query", () => FlowBuilder.Get("https://collector.example.net/e?d=" + Uri.EscapeDataString(LoneSurrogateJson)) },
        { "form field", () => FlowBuilder.Post("https://collector.example.net/e").Form("d=" + Uri.EscapeDataString(LoneSurrogateJson)) },
        { "cookie", () => FlowBuilder.Get("https://collector.example.net/e").Header("Cookie", "d=" + Uri.EscapeDataString(LoneSurrogateJson)) },
        { "header", () => FlowBuilder.Get("https://collector.example.net/e").Header("X-Data", LoneSurrogateJson) },
        { "base64", () => FlowBuilder.Get("https://collector.example.net/e?d=" + Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes(LoneSurrogateJson)))) },
        { "gzip body", () => FlowBuilder.Post("https://collector.example.net/e").Body(Gzip(LoneSurrogateJson), "application/octet-stream") },
        { "multipart", () => FlowBuilder.Post("https://collector.example.net/e").Body(
            "--b\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\n" + LoneSurrogateJson + "\r\n--b--\r\n", "multipart/form-data; boundary=b") },
        { "surrogate property name", () => FlowBuilder.Post("https://collector.example.net/e").Body(
            $$"""{"\udc00":1,"aid":"{{TestDevice.AndroidId}}"}""", "application/json") },
    };

    [Theory]
    [MemberData(nameof(Carriers))]
    public void A_lone_surrogate_does_not_hide_the_rest_of_the_request(string carrier, Func<FlowBuilder> request)
    {
        var analysis = TestDevice.Engine().Analyze(request().Build());

        Assert.True(analysis.Findings.Any(f => f.Value == TestDevice.AndroidId), $"{carrier}: the Android ID beside the lone surrogate was not found");
    }

    [Fact]
    public void A_body_that_is_not_the_brotli_it_claims_is_noted_and_the_rest_analysed()
    {
        var flow = FlowBuilder.Post("https://collector.example.net/e?aid=" + TestDevice.AndroidId)
            .Header("Content-Encoding", "br")
            .Body(Encoding.ASCII.GetBytes("this is not brotli at all, not even close"), "application/json")
            .Build();

        var analysis = TestDevice.Engine().Analyze(flow);

        Assert.Contains(analysis.Findings, f => f.Value == TestDevice.AndroidId);
    }

    [Fact]
    public void Truncated_brotli_is_analysed_without_throwing()
    {
        var brotli = Brotli($$"""{"aid":"{{TestDevice.AndroidId}}","url":"https://news.example.org/a"}""");
        var flow = FlowBuilder.Post("https://collector.example.net/e").Header("Content-Encoding", "br")
            .Body(brotli[..(brotli.Length / 2)], "application/json").Build();

        var analysis = TestDevice.Engine().Analyze(flow);

        Assert.NotNull(analysis);
    }

    internal static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    internal static byte[] Brotli(string text)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest))
        {
            brotli.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }
}
