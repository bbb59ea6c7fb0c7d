using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Masking;
using MiAudit.Flows;

namespace MiAudit.Detection.Tests.Masking;

/// <summary>
/// One masking policy over every place an identifier can hide. The strong check: detection itself, with the same
/// device profile, run over the masked flow, finds no identifier.
/// </summary>
public class MaskingPolicyTests
{
    private static readonly MaskingPolicy Policy = MaskingPolicy.For(TestDevice.Profile.Identifiers.Select(i => (i.Field, i.Value)));

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private static string Json => $$"""{"imei":"{{TestDevice.Imei}}","$device_id":"{{TestDevice.AndroidId}}","$url":"https://news.example/a"}""";

    /// <summary>Each carrier: where an app puts an identifier, and how.</summary>
    public static TheoryData<string, Func<FlowBuilder>> Carriers => new()
    {
        { "plain query", () => FlowBuilder.Get($"https://t.example/c?imei={TestDevice.Imei}&x=1") },
        { "upper-case hex id", () => FlowBuilder.Get($"https://t.example/c?aid={TestDevice.AndroidId.ToUpperInvariant()}") },
        { "md5 in a header", () => FlowBuilder.Get("https://t.example/c").Header("X-Device", Hex(MD5.HashData(Encoding.UTF8.GetBytes(TestDevice.Imei)))) },
        { "sha256 prefix in a cookie", () => FlowBuilder.Get("https://t.example/c").Header("Cookie", $"a=1; uid={Hex(SHA256.HashData(Encoding.UTF8.GetBytes(TestDevice.AndroidId)))[..16]}") },
        { "base64 JSON in a query", () => FlowBuilder.Get($"https://t.example/sa?project=p&data={B64(Json)}") },
        { "percent-encoded base64", () => FlowBuilder.Get($"https://t.example/sa?data={Uri.EscapeDataString(B64(Json))}") },
        { "base64(gzip(JSON)) in a form", () => FlowBuilder.Post("https://t.example/sa").Body($"data_list={Uri.EscapeDataString(Convert.ToBase64String(Gzip($"[{Json}]")))}&gzip=1", "application/x-www-form-urlencoded") },
        { "hex of the id in the path", () => FlowBuilder.Get($"https://t.example/p/{Hex(Encoding.UTF8.GetBytes(TestDevice.Imei))}/x") },
        { "base64url segment of the path", () => FlowBuilder.Get($"https://t.example/t/{Convert.ToBase64String(Encoding.UTF8.GetBytes(Json)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}") },
        { "JSON body", () => FlowBuilder.Post("https://t.example/e").Body(Json, "application/json") },
        { "gzip JSON body", () => FlowBuilder.Post("https://t.example/e").Header("Content-Encoding", "gzip").Body(Gzip(Json), "application/json") },
        { "gzip without a header", () => FlowBuilder.Post("https://t.example/e").Body(Gzip(Json), "application/octet-stream") },
        { "protobuf-like binary", () => FlowBuilder.Post("https://t.example/e").Body([0x0a, 15, .. Encoding.ASCII.GetBytes(TestDevice.Imei), 0x12, 0x03, 0x01, 0x02, 0x03], "application/x-protobuf") },
        { "account in a JSON-escaped string", () => FlowBuilder.Post("https://t.example/e").Body($$"""{"u":"{{TestDevice.Email.Replace("@", "\\u0040")}}"}""", "application/json") },
        { "mac without separators", () => FlowBuilder.Get($"https://t.example/c?m={TestDevice.Mac.Replace(":", "").ToUpperInvariant()}") },
        { "websocket message", () => FlowBuilder.Get("https://t.example/ws").Message(MessageDirection.Client, $"{{\"t\":\"{B64(Json)}\"}}") },
    };

    [Theory]
    [MemberData(nameof(Carriers))]
    public void Detection_finds_no_identifier_in_a_masked_flow(string carrier, Func<FlowBuilder> build)
    {
        var flow = build().Build();
        Assert.NotEmpty(Identifiers(TestDevice.Engine(), flow)); // the carrier really carries one

        var masked = Policy.Flow(flow);

        var left = Identifiers(TestDevice.Engine(), masked);
        Assert.True(left.Count == 0, $"{carrier}: {string.Join("; ", left.Select(f => $"{f.Value} at {f.LeafPath}"))}");
    }

    private static List<Finding> Identifiers(DetectionEngine engine, Flow flow)
    {
        engine.ObserveRequest(flow);
        return engine.Analyze(flow).Findings.Where(f => ValueMasking.IsIdentifier(f.Category)).ToList();
    }

    [Fact]
    public void Only_the_piece_holding_the_identifier_is_masked()
    {
        var url = $"https://t.example/sa?project=news&data={B64(Json)}&ts=1700000000";

        var masked = Policy.Text(url);

        Assert.StartsWith("https://t.example/sa?project=news&data=", masked);
        Assert.EndsWith("&ts=1700000000", masked);
        Assert.Equal(url.Length, masked.Length);
        Assert.DoesNotContain(B64(Json)[8..^8], masked);
    }

    [Fact]
    public void A_masked_gzip_body_is_still_gzip_and_holds_the_rest_of_the_json()
    {
        var masked = Policy.Bytes(Gzip(Json), "gzip");

        using var gzip = new GZipStream(new MemoryStream(masked), CompressionMode.Decompress);
        var text = new StreamReader(gzip).ReadToEnd();
        Assert.Contains("\"$url\":\"https://news.example/a\"", text);
        Assert.Contains("8612*******0125", text);
        Assert.DoesNotContain(TestDevice.Imei, text);
    }

    [Theory]
    [InlineData("id=3f8a6b2c1d4e5f60&x=1", "id=3f8a********5f60&x=1")]
    [InlineData("ID=3F8A6B2C1D4E5F60", "ID=3F8A********5F60")] // detection matches case-insensitively, so does masking
    [InlineData("a 3f8a6b2c1d4e5f60 b 3f8a6b2c1d4e5f60", "a 3f8a********5f60 b 3f8a********5f60")]
    [InlineData("nothing to hide here", "nothing to hide here")]
    public void Plain_identifiers_are_masked_wherever_they_appear(string text, string expected)
    {
        Assert.Equal(expected, Policy.Text(text));
    }

    [Fact]
    public void Overlapping_identifiers_leave_no_part_of_either_readable()
    {
        var policy = MaskingPolicy.For([("a", "aaaa1111bbbb"), ("b", "bbbb2222cccc")]);

        var masked = policy.Text("x aaaa1111bbbb2222cccc y");

        Assert.DoesNotContain("1111", masked);
        Assert.DoesNotContain("2222", masked);
        Assert.Equal(24, masked.Length);
    }

    [Fact]
    public void Finding_values_of_identifiers_are_masked_whole_and_urls_keep_their_shape()
    {
        Assert.Equal("8612*******0125", Policy.Value("device-id", "861234567890125"));
        Assert.Equal("https://news.example/a", Policy.Value("url-leak", "https://news.example/a"));
        Assert.Equal("https://news.example/a?i=8612*******0125", Policy.Value("url-leak", $"https://news.example/a?i={TestDevice.Imei}"));
    }

    [Fact]
    public void No_policy_changes_nothing()
    {
        var flow = FlowBuilder.Get($"https://t.example/c?imei={TestDevice.Imei}").Build();

        Assert.Same(flow, MaskingPolicy.None.Flow(flow));
        Assert.Equal(TestDevice.Imei, MaskingPolicy.None.Value("device-id", TestDevice.Imei));
    }
}
