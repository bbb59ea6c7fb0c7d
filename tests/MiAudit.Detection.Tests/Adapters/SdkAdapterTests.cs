using System.Text;
using MiAudit.Detection.Decoding;
using MiAudit.Detection.Loading;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Tests.Adapters;

/// <summary>
/// SDK adapters as data: an endpoint rule's payload layout names the SDK field a finding sits in; GrowingIO's
/// protobuf → Snappy → XOR(stm) uploads are read back, as its SDK sources write them.
/// </summary>
public class SdkAdapterTests
{
    private const long Stm = 1733222400123; // the upload's ?stm=: its low byte (0x7b) is the XOR key
    private const string Page = "https://news.example.com/politics/article-42";

    [Fact]
    public void Snappy_decodes_the_published_vector()
    {
        // Vector's encode_snappy example ("The quick brown fox jumps over 13 lazy dogs." → this base64).
        var block = Convert.FromBase64String("LKxUaGUgcXVpY2sgYnJvd24gZm94IGp1bXBzIG92ZXIgMTMgbGF6eSBkb2dzLg==");

        var text = Decompression.TryDecompress(block, "snappy", 1 << 20, out var truncated);

        Assert.Equal("The quick brown fox jumps over 13 lazy dogs.", Encoding.UTF8.GetString(text!));
        Assert.False(truncated);
        Assert.Null(Decompression.TryDecompress(block, "snappy", 16, out truncated)); // over the limit: not read at all
        Assert.True(truncated);
        Assert.Null(Decompression.TryDecompress(Encoding.ASCII.GetBytes("not snappy at all"), "snappy", 1 << 20, out _));
    }

    [Fact]
    public void A_growingio_android_upload_is_read_through_xor_snappy_and_protobuf_and_names_its_fields()
    {
        var findings = TestDevice.Engine().Analyze(GrowingIoUpload(crypt: true)).Findings;

        var androidId = Assert.Single(findings, f => f.RuleId == "device-identifier" && f.Value == TestDevice.AndroidId);
        Assert.Equal("body → xor(stm) → snappy → protobuf.#1[0].#47", androidId.LeafPath);
        Assert.Contains("GrowingIO field 1.47 (Android ID)", androidId.MatchedAs);
        var imei = Assert.Single(findings, f => f.RuleId == "device-identifier" && f.Value == TestDevice.Imei);
        Assert.Equal("body → xor(stm) → snappy → protobuf.#1[1].#46", imei.LeafPath);
        Assert.Contains("GrowingIO field 1.46 (IMEI)", imei.MatchedAs);
        Assert.Contains(findings, f => f.RuleId == "growingio-endpoint");
    }

    [Fact]
    public void A_page_sent_as_domain_path_and_query_is_a_visited_url_leak()
    {
        // GrowingIO's web SDK sends location.host, location.pathname and location.search in three fields.
        var engine = TestDevice.Engine();
        engine.Navigate(Page + "?ref=home");
        var page = Protobuf.Message((1, "d6a1c8f0-5e8b-4a3e-9c1f-2b7e4d9a6c01"), (9, "news.example.com"), (10, "/politics/article-42"), (11, "ref=home"));
        var other = Protobuf.Message((9, "news.example.com"), (10, "/never-visited-here"));
        var body = Snappier.Snappy.CompressToArray(Protobuf.Concat(Protobuf.Field(1, page), Protobuf.Field(1, other)));
        var upload = FlowBuilder.Post($"https://collect.shop.example/v3/projects/91eaf9b283fbd8a7/collect?stm={Stm}")
            .Header("X-Compress-Codec", "2").Body(body, "application/protobuf").Build();

        var findings = engine.Analyze(upload).Findings;

        var leak = Assert.Single(findings, f => f.RuleId == "visited-url-leak");
        Assert.Equal("news.example.com/politics/article-42?ref=home", leak.Value);
        Assert.Equal("body → snappy → protobuf.#1[0] → url(9+10+11)", leak.LeafPath);
    }

    [Fact]
    public void Without_encryption_the_upload_is_snappy_and_protobuf_only()
    {
        var findings = TestDevice.Engine().Analyze(GrowingIoUpload(crypt: false)).Findings;

        Assert.Contains(findings, f => f.Value == TestDevice.AndroidId && f.LeafPath == "body → snappy → protobuf.#1[0].#47");
    }

    [Fact]
    public void A_wrong_key_or_a_lying_header_reads_nothing_into_the_body()
    {
        // The header says XOR but the timestamp is another: the bytes do not decompress, so nothing is undone.
        var flow = GrowingIoUpload(crypt: true) with { Query = $"?stm={Stm + 1}" };
        var decoded = RequestDecoder.Decode(flow);

        Assert.DoesNotContain(decoded.Leaves, l => l.Path.ToString().Contains("snappy"));
        Assert.DoesNotContain(TestDevice.Engine().Analyze(flow).Findings, f => f.Value == TestDevice.AndroidId);
    }

    [Fact]
    public void A_sensors_finding_names_the_sdk_field_it_sits_in()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Page);
        var @event = new Dictionary<string, object>
        {
            ["distinct_id"] = TestDevice.AndroidId,
            ["event"] = "$pageview",
            ["properties"] = new Dictionary<string, string> { ["$url"] = Page, ["$device_id"] = TestDevice.AndroidId },
        };

        var findings = engine.Analyze(FlowBuilder.Get($"https://sa.tracker.example.net/sa.gif?project=p&{SensorsWire.JsTrackData(@event)}"));

        Assert.Contains(findings, f => f.RuleId == "visited-url-leak" && f.MatchedAs.EndsWith(" — Sensors Analytics field properties.$url (page URL)"));
        Assert.Contains(findings, f => f.LeafPath.EndsWith("json.properties.$device_id") && f.MatchedAs.Contains("Sensors Analytics field properties.$device_id (device id)"));
        Assert.Contains(findings, f => f.LeafPath.EndsWith("json.distinct_id") && f.MatchedAs.Contains("Sensors Analytics field distinct_id"));
    }

    [Fact]
    public void The_same_payload_sent_elsewhere_names_no_sdk_field()
    {
        var @event = new Dictionary<string, object> { ["properties"] = new Dictionary<string, string> { ["$device_id"] = TestDevice.AndroidId } };
        var body = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(@event));

        var findings = TestDevice.Engine().Analyze(FlowBuilder.Post("https://api.example.net/profile").Body(body, "application/json"));

        Assert.DoesNotContain(findings, f => f.MatchedAs.Contains("Sensors Analytics"));
        Assert.Contains(findings, f => f.Value == TestDevice.AndroidId);
    }

    [Fact]
    public void A_layout_in_a_rule_file_is_data_and_its_mistakes_name_the_line()
    {
        var rules = RuleSet.BuiltIn().With("""
            rules:
              - id: acme-collector
                kind: endpoint
                title: ACME collector
                category: telemetry
                severity: medium
                match: { path: /acme/v1/batch }
                payload:
                  sdk: ACME
                  fields: { events.hw: hardware id }
            """, "acme.yaml");
        var body = Encoding.UTF8.GetBytes($$"""{"events":[{"hw":"{{TestDevice.AndroidId}}"}]}""");

        var findings = new DetectionEngine(rules, TestDevice.Profile).Analyze(FlowBuilder.Post("https://t.acme.example/acme/v1/batch").Body(body, "application/json").Build()).Findings;

        Assert.Contains(findings, f => f.Value == TestDevice.AndroidId && f.MatchedAs.EndsWith(" — ACME field events.hw (hardware id)"));
        var wrongKind = LayoutError("value", "{ values: [abcdef] }", "{ sdk: X, fields: { a: b } }");
        Assert.Contains("bad.yaml:7", wrongKind);
        Assert.Contains("only endpoint rules take a 'payload'", wrongKind);
        Assert.Contains("without indexes", LayoutError("endpoint", "{ path: /y }", "{ sdk: Y, fields: { 'events[0].hw': id } }"));
        Assert.Contains("[host, path]", LayoutError("endpoint", "{ path: /z }", "{ sdk: Z, urls: [[host]], fields: { a: b } }"));
    }

    /// <summary>The error a rule file with this payload layout gets (the payload on line 7).</summary>
    private static string LayoutError(string kind, string match, string payload) => Assert.Throws<ConfigurationFileException>(() => RuleFileReader.Parse($"""
        - id: x
          kind: {kind}
          title: X
          category: c
          severity: low
          match: {match}
          payload: {payload}
        """, "bad.yaml")).Message;

    /// <summary>
    /// What GrowingIO's Android SDK sends (event_v3.proto: EventV3List.values = 1; EventV3Dto.device_id = 1,
    /// domain = 9, path = 10, imei = 46, android_id = 47), Snappy-compressed, then XOR-ed with stm's low byte.
    /// </summary>
    private static MiAudit.Flows.Flow GrowingIoUpload(bool crypt)
    {
        var visit = Protobuf.Message((1, "d6a1c8f0-5e8b-4a3e-9c1f-2b7e4d9a6c01"), (9, "com.example.shop"), (10, "/home"), (47, TestDevice.AndroidId));
        var page = Protobuf.Message((1, "d6a1c8f0-5e8b-4a3e-9c1f-2b7e4d9a6c01"), (46, TestDevice.Imei));
        var list = Protobuf.Concat(Protobuf.Field(1, visit), Protobuf.Field(1, page));
        var body = Snappier.Snappy.CompressToArray(list);
        var builder = FlowBuilder.Post($"https://collect.shop.example/v3/projects/91eaf9b283fbd8a7/collect?stm={Stm}")
            .Header("X-Compress-Codec", "2").Header("X-Timestamp", Stm.ToString());
        if (crypt)
        {
            body = body.Select(b => (byte)(b ^ (Stm & 0xff))).ToArray();
            builder.Header("X-Crypt-Codec", "1");
        }

        return builder.Body(body, "application/protobuf").Build();
    }
}

/// <summary>Enough of the protobuf wire format to write test messages: length-delimited fields only.</summary>
internal static class Protobuf
{
    public static byte[] Field(int number, byte[] content) => Concat(Varint((ulong)(number << 3 | 2)), Varint((ulong)content.Length), content);

    public static byte[] Message(params (int Number, string Text)[] fields) =>
        Concat(fields.Select(f => Field(f.Number, Encoding.UTF8.GetBytes(f.Text))).ToArray());

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7)
        {
            bytes.Add((byte)(value | 0x80));
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }
}
