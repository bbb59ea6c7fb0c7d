using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Tests.Detectors;

public class DeviceProfileDetectorTests
{
    private static IReadOnlyList<Finding> Send(object payload) =>
        TestDevice.Engine().Analyze(FlowBuilder.Post("https://t.tracker.example.net/c").Body(JsonSerializer.Serialize(payload), "application/json"));

    private static string Hex(Func<byte[], byte[]> hash, string text) => Convert.ToHexStringLower(hash(Encoding.UTF8.GetBytes(text)));

    public static TheoryData<string, string, string> Variants => new()
    {
        { "plain IMEI", TestDevice.Imei, "imei" },
        { "upper-case Android ID", TestDevice.AndroidId.ToUpperInvariant(), "android_id" },
        { "md5 of IMEI", Hex(MD5.HashData, TestDevice.Imei), "md5 of imei" },
        { "sha1 upper-case hex", Hex(SHA1.HashData, TestDevice.AndroidId).ToUpperInvariant(), "sha1 of android_id" },
        { "sha256 of the upper-case value", Hex(SHA256.HashData, TestDevice.AndroidId.ToUpperInvariant()), "sha256 of android_id" },
        { "first 16 hex of sha256", Hex(SHA256.HashData, TestDevice.Imei)[..16], "sha256 of imei (first 16 hex digits)" },
        { "base64 of sha1 digest", Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(TestDevice.AdvertisingId))), "base64 of sha1 of advertising_id" },
        { "MAC without separators", "A45046123456", "mac (no separators)" },
        { "MAC with dashes", "a4-50-46-12-34-56", "mac (dash-separated)" },
        { "MAC dotted", "a450.4612.3456", "mac (dotted)" },
        { "md5 of the account", Hex(MD5.HashData, TestDevice.Email), "md5 of account" },
        { "an extra identifier", "6234987123", "xiaomi_user_id" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Profile_identifiers_are_found_in_every_variant(string name, string sent, string matchedAs)
    {
        var findings = Send(new { id = sent });

        var finding = Assert.Single(findings, f => f.RuleId == "device-identifier");
        Assert.True(finding.MatchedAs == matchedAs, $"{name}: matched as '{finding.MatchedAs}'");
        Assert.Equal("body → json.id", finding.LeafPath);
    }

    [Fact]
    public void The_sensors_anonymization_id_is_the_android_id_in_base64()
    {
        var anonymizationId = Convert.ToBase64String(Encoding.UTF8.GetBytes(TestDevice.AndroidId));
        var findings = TestDevice.Engine().Analyze(FlowBuilder.Post("https://sa.tracker.example.net/sa?project=p")
            .Form(SensorsWire.AndroidGzip([new { properties = new Dictionary<string, string> { ["$anonymization_id"] = anonymizationId, ["$device_id"] = TestDevice.AndroidId } }])));

        Assert.Contains(findings, f => f.RuleId == "device-identifier" && f.LeafPath == "body.form[data_list] → base64 → gzip → json[0].properties.$anonymization_id → base64");
        Assert.Contains(findings, f => f.RuleId == "device-identifier" && f.LeafPath.EndsWith("$device_id"));
        Assert.Equal(TestDevice.AndroidId, findings.First(f => f.RuleId == "device-identifier").Value);
    }

    [Fact]
    public void A_hash_inside_a_longer_hex_string_is_not_a_match()
    {
        var sha = Hex(SHA256.HashData, TestDevice.Imei);
        var findings = Send(new { id = "ab" + sha[..16] + "cd", whole = sha });

        Assert.Single(findings, f => f.RuleId == "device-identifier");
        Assert.Contains(findings, f => f.LeafPath == "body → json.whole" && f.MatchedAs == "sha256 of imei");
    }

    [Fact]
    public void Attributes_are_reported_as_fingerprinting_data_only_where_they_stand_as_values()
    {
        var findings = Send(new Dictionary<string, string> { ["$model"] = TestDevice.Model, ["$os_version"] = "10", ["count"] = "10", ["ua"] = "Mozilla/5.0 (Linux; Android 10; Redmi Note 8 Pro)" });

        Assert.Contains(findings, f => f.RuleId == "device-attribute" && f.LeafPath == "body → json.$model" && f.Category == "fingerprint");
        Assert.Contains(findings, f => f.RuleId == "device-attribute" && f.LeafPath == "body → json.$os_version");
        Assert.Contains(findings, f => f.RuleId == "device-attribute" && f.LeafPath == "body → json.ua");
        Assert.DoesNotContain(findings, f => f.LeafPath == "body → json.count");
    }

    [Fact]
    public void Without_a_profile_shapes_in_identifier_fields_are_unconfirmed_findings()
    {
        var engine = new DetectionEngine(RuleSet.BuiltIn());
        var findings = engine.Analyze(FlowBuilder.Post("https://t.tracker.example.net/c").Body(JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["imei"] = "490154203237518",           // Luhn-valid
            ["imei2"] = "490154203237519",          // Luhn-invalid
            ["gaid"] = "cdda802e-fb9c-47ad-9866-0794d394c912",
            ["advertising_id"] = "00000000-0000-0000-0000-000000000000", // limited ad tracking
            ["$device_id"] = "9774d56d682e549c",    // the emulator placeholder
            ["android_id"] = "7c0de5a3f1b2c4d6",
            ["mac"] = "02:00:00:00:00:00",          // what Android 6+ reports
            ["wifi_mac"] = "3c:5a:b4:01:02:03",
            ["request_id"] = "cdda802e-fb9c-47ad-9866-0794d394c912",
        }), "application/json"));

        var unconfirmed = findings.Where(f => f.RuleId == "unconfirmed-device-identifier").Select(f => f.LeafPath.Split('.').Last()).Order().ToArray();
        Assert.Equal(["android_id", "gaid", "imei", "wifi_mac"], unconfirmed);
    }

    [Fact]
    public void Identifiers_from_the_profile_are_not_reported_twice_as_unconfirmed()
    {
        var findings = Send(new Dictionary<string, string> { ["android_id"] = TestDevice.AndroidId });

        Assert.Single(findings);
        Assert.Equal("device-identifier", findings[0].RuleId);
    }

    [Fact]
    public void Placeholders_in_the_profile_are_skipped_not_searched()
    {
        var profile = DeviceProfile.Parse("identifiers:\n  mac: 02:00:00:00:00:00\n  serial: abc\n  android_id: 9774d56d682e549c", "p.yaml");
        var engine = new DetectionEngine(RuleSet.BuiltIn(), profile);

        Assert.Equal(3, engine.SkippedProfileValues.Count);
        Assert.Empty(engine.Analyze(FlowBuilder.Get("https://t.tracker.example.net/c?m=02:00:00:00:00:00&s=abc")));
    }
}
