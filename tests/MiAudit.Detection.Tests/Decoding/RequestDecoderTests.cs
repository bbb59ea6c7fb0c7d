using System.IO.Compression;
using System.Text;
using MiAudit.Detection.Decoding;

namespace MiAudit.Detection.Tests.Decoding;

public class RequestDecoderTests
{
    private const string PageUrl = "https://news.example.com/politics/article-42?ref=home";

    private static IEnumerable<string> PathsOf(DecodedRequest decoded, string text) =>
        decoded.Leaves.Where(l => l.Text == text).Select(l => l.Path.ToString());

    [Fact]
    public void Js_image_beacon_decodes_to_the_event_json()
    {
        var flow = FlowBuilder.Get($"https://sa.example.com/sa.gif?project=default&{SensorsWire.JsTrackData(SensorsWire.PageView(PageUrl))}").Build();

        var decoded = RequestDecoder.Decode(flow);

        Assert.Contains("query[data] → base64 → json.properties.$url", PathsOf(decoded, PageUrl));
        Assert.Contains("query[ext] → form[crc]", decoded.Leaves.Select(l => l.Path.ToString()));
        Assert.Contains("$pageview", decoded.Leaves.Select(l => l.Text));
        Assert.Equal(["project", "data", "ext"], decoded.ParameterNames);
    }

    [Fact]
    public void Js_ajax_form_body_decodes_to_the_event_json()
    {
        var flow = FlowBuilder.Post("https://sa.example.com/sa.gif?project=default").Form(SensorsWire.JsTrackData(SensorsWire.PageView(PageUrl))).Build();

        Assert.Contains("body.form[data] → base64 → json.properties.$url", PathsOf(RequestDecoder.Decode(flow), PageUrl));
    }

    [Fact]
    public void Js_batch_decodes_every_event()
    {
        var flow = FlowBuilder.Post("https://sa.example.com/sa.gif?project=default")
            .Form(SensorsWire.JsBatch([SensorsWire.PageView(PageUrl), SensorsWire.PageView("https://news.example.com/b")])).Build();

        var decoded = RequestDecoder.Decode(flow);

        Assert.Contains("body.form[data_list] → base64 → json[0].properties.$url", PathsOf(decoded, PageUrl));
        Assert.Contains("body.form[data_list] → base64 → json[1].properties.$url", PathsOf(decoded, "https://news.example.com/b"));
    }

    [Fact]
    public void Android_gzip_data_list_decodes_through_base64_and_gzip()
    {
        var flow = FlowBuilder.Post("https://sa.example.com/sa?project=prod").Form(SensorsWire.AndroidGzip([SensorsWire.PageView(PageUrl)])).Build();

        Assert.Contains("body.form[data_list] → base64 → gzip → json[0].properties.$url", PathsOf(RequestDecoder.Decode(flow), PageUrl));
    }

    [Fact]
    public void Encrypted_payloads_are_recognised_and_not_decoded_into_noise()
    {
        var flow = FlowBuilder.Post("https://sa.example.com/sa?project=prod").Form(SensorsWire.AndroidEncrypted()).Build();

        var decoded = RequestDecoder.Decode(flow);

        var payload = Assert.Single(decoded.EncryptedPayloads);
        Assert.Equal("body.form[data_list] → base64 → json[0]", payload.Path.ToString());
        Assert.DoesNotContain(decoded.Leaves, l => l.Path.ToString().Contains("payloads[0] → base64"));
    }

    [Fact]
    public void Repeated_percent_encoding_shows_each_layer()
    {
        var twice = Uri.EscapeDataString(Uri.EscapeDataString(PageUrl));
        var flow = FlowBuilder.Get($"https://ads.example.net/px?u={twice}").Build();

        Assert.Contains("query[u] → urldecode", PathsOf(RequestDecoder.Decode(flow), PageUrl));
    }

    [Fact]
    public void Content_encodings_are_undone_before_the_body_is_read()
    {
        var json = Encoding.UTF8.GetBytes($$"""{"page":"{{PageUrl}}"}""");
        foreach (var (encoding, compressed) in new[]
        {
            ("gzip", SensorsWire.Gzip(json)),
            ("br", Compress(json, s => new BrotliStream(s, CompressionLevel.Fastest))),
            ("deflate", Compress(json, s => new ZLibStream(s, CompressionLevel.Fastest))),
            ("zstd", new ZstdSharp.Compressor().Wrap(json).ToArray()),
        })
        {
            var flow = FlowBuilder.Post("https://t.example.net/collect").Header("Content-Encoding", encoding).Body(compressed, "application/json").Build();
            Assert.Contains($"body → {(encoding == "deflate" ? "deflate" : encoding)} → json.page", PathsOf(RequestDecoder.Decode(flow), PageUrl));
        }
    }

    [Fact]
    public void Gzip_inside_a_json_string_is_found_by_its_magic_bytes()
    {
        var inner = Convert.ToBase64String(SensorsWire.Gzip(Encoding.UTF8.GetBytes($$"""{"u":"{{PageUrl}}"}""")));
        var flow = FlowBuilder.Post("https://t.example.net/collect").Body($$"""{"payload":"{{inner}}"}""", "application/json").Build();

        Assert.Contains("body → json.payload → base64 → gzip → json.u", PathsOf(RequestDecoder.Decode(flow), PageUrl));
    }

    [Theory]
    [InlineData("hex")]
    [InlineData("base64url")]
    [InlineData("html-entities")]
    public void Other_encodings_of_a_value_are_undone(string encoding)
    {
        var text = $$"""{"u":"{{PageUrl}}"}""";
        var encoded = encoding switch
        {
            "hex" => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text)),
            "base64url" => Convert.ToBase64String(Encoding.UTF8.GetBytes(text + "??>>")).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            _ => System.Net.WebUtility.HtmlEncode(text),
        };
        var flow = FlowBuilder.Post("https://t.example.net/c").Body($"v={Uri.EscapeDataString(encoded)}", "application/x-www-form-urlencoded").Build();

        Assert.Contains(RequestDecoder.Decode(flow).Leaves, l => l.Text.Contains(PageUrl) && l.Path.Transforms.Contains(encoding));
    }

    [Fact]
    public void Multipart_xml_and_binary_bodies_yield_their_strings()
    {
        const string boundary = "----b0undary";
        var multipart = $"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{{\"u\":\"{PageUrl}\"}}\r\n--{boundary}--\r\n";
        var xml = $"<event><page href=\"{PageUrl}\"/><title>x</title></event>";
        var binary = new byte[] { 0x0a, 0x35 }.Concat(Encoding.UTF8.GetBytes(PageUrl)).Concat(new byte[] { 0x10, 0x01, 0x00, 0xff }).ToArray();

        var fromMultipart = RequestDecoder.Decode(FlowBuilder.Post("https://t.example.net/m").Body(multipart, $"multipart/form-data; boundary={boundary}").Build());
        var fromXml = RequestDecoder.Decode(FlowBuilder.Post("https://t.example.net/x").Body(xml, "application/xml").Build());
        var fromBinary = RequestDecoder.Decode(FlowBuilder.Post("https://t.example.net/p").Body(binary, "application/x-protobuf").Build());

        Assert.Contains("body.part[meta] → json.u", PathsOf(fromMultipart, PageUrl));
        Assert.Contains("body → xml[0]", PathsOf(fromXml, PageUrl));
        Assert.Contains(fromBinary.Leaves, l => l.Text.Contains(PageUrl) && l.Path.ToString().StartsWith("body → strings[0]"));
    }

    [Fact]
    public void Headers_cookies_and_path_segments_are_leaves()
    {
        var id = Convert.ToBase64String(Encoding.UTF8.GetBytes("a1b2c3d4e5f60718"));
        var flow = FlowBuilder.Get($"https://t.example.net/v1/{Uri.EscapeDataString(id)}/hit")
            .Header("User-Agent", "Mozilla/5.0 (Linux; Android 10; K) XiaoMi/MiuiBrowser/13.5.40")
            .Header("Cookie", "sensorsdata2015jssdkcross=%7B%22distinct_id%22%3A%22abc%22%7D; b=2")
            .Header("X-Device", id).Build();

        var decoded = RequestDecoder.Decode(flow);

        Assert.Contains("path[1] → base64", PathsOf(decoded, "a1b2c3d4e5f60718"));
        Assert.Contains("header[X-Device] → base64", PathsOf(decoded, "a1b2c3d4e5f60718"));
        Assert.Contains("cookie[sensorsdata2015jssdkcross] → urldecode → json.distinct_id", PathsOf(decoded, "abc"));
        Assert.Contains("header[User-Agent]", decoded.Leaves.Select(l => l.Path.ToString()));
    }

    [Theory]
    [InlineData("dGhpc2lzYXJhbmRvbXRva2VuMTIz", false)] // "thisisarandomtoken123": readable, decoded
    [InlineData("Xq3kP9vL2mN8wR5tY7uZ1aB4cD6eF0gH", true)] // random bytes: left alone
    [InlineData("eyJhbGciOiJIUzI1NiJ9", false)] // a JWT header: readable JSON
    public void Random_tokens_are_not_decoded_into_noise(string token, bool expectOnlyItself)
    {
        var decoded = RequestDecoder.Decode(FlowBuilder.Get($"https://t.example.net/?session={token}").Build());

        Assert.Equal(expectOnlyItself, decoded.Leaves.All(l => l.Path.TransformCount == 0));
    }

    [Fact]
    public void A_decompression_bomb_stops_at_the_limit_with_a_note()
    {
        var bomb = SensorsWire.Gzip(new byte[200 * 1024 * 1024]);
        var flow = FlowBuilder.Post("https://t.example.net/up").Header("Content-Encoding", "gzip").Body(bomb, "application/octet-stream").Build();
        var limits = new DecodeLimits { MaxDecompressedBytes = 1024 * 1024 };

        var decoded = RequestDecoder.Decode(flow, limits);

        Assert.Contains(decoded.LimitsReached, l => l.Contains("decompressed size limit"));
    }

    [Fact]
    public void Deep_json_and_deep_base64_nesting_stop_at_their_limits()
    {
        var deepJson = new string('[', 5000) + new string(']', 5000);
        var deepBase64 = "innermost value here";
        for (var i = 0; i < 20; i++)
        {
            deepBase64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(deepBase64));
        }

        var json = RequestDecoder.Decode(FlowBuilder.Post("https://t.example.net/j").Body(deepJson, "application/json").Build());
        var base64 = RequestDecoder.Decode(FlowBuilder.Get($"https://t.example.net/?v={deepBase64}").Build());

        Assert.Contains(json.LimitsReached, l => l.Contains("JSON nesting limit"));
        Assert.Contains(base64.LimitsReached, l => l.Contains("decoding depth limit"));
        Assert.DoesNotContain(base64.Leaves, l => l.Text == "innermost value here");
    }

    [Fact]
    public void A_huge_query_string_is_decoded_within_the_budget()
    {
        var huge = string.Join('&', Enumerable.Range(0, 50_000).Select(i => $"k{i}={Convert.ToBase64String(Encoding.UTF8.GetBytes($"value number {i} of many"))}"));
        var decoded = RequestDecoder.Decode(FlowBuilder.Get($"https://t.example.net/?{huge}").Build(), new DecodeLimits { MaxLeaves = 20_000 });

        Assert.Equal(20_000, decoded.Leaves.Count);
        Assert.Contains(decoded.LimitsReached, l => l.Contains("leaf limit"));
    }

    private static byte[] Compress(byte[] data, Func<Stream, Stream> wrap)
    {
        using var output = new MemoryStream();
        using (var stream = wrap(output))
        {
            stream.Write(data);
        }

        return output.ToArray();
    }
}
