using MiAudit.Detection.Profiles;

namespace MiAudit.Detection.Tests.Profiles;

/// <summary>
/// Every hash family, truncation, layer and normalised form, against digests computed with Python's hashlib (an
/// implementation MiAudit does not share), found as a query parameter of a request to a third party.
/// </summary>
public class IdentifierVariantTests
{
    private const string Imei = "356938035643809";

    private static readonly string Profile = $"""
        identifiers:
          imei: "{Imei}"
          account: " Tester@Example.com "
          phone_number: "+86 138 1234 5678"
        """;

    [Theory]
    [InlineData("af2d48f2495881aed1737bb21017f9b6", "md5 of imei")]
    [InlineData("31f455635a12252f8cedb39cd7533fc58a064bff", "sha1 of imei")]
    [InlineData("b8abf95d9cc3d403adcf90eda72eb35666d523130d924bcfe96d8f8e", "sha224 of imei")]
    [InlineData("a1b575e0d3dabdc93f3c6190a239b5420f65d13601dcf1eee2bbd4f6a6168111", "sha256 of imei")]
    [InlineData("8b158f9b312ec3d40021dbbef156dd748bf9564d65da11db47b4c99b482e75cbea279ecc0be10ee801f3e058ff19a6d4", "sha384 of imei")]
    [InlineData("a4097009d6471c5945f3bc6e4585158ba7633a124c67a78aa906781c9f279edd220ec3078db04827acf01fd6f9a55f96205cb96b6eebd50578e6a4cd8d1f07d9", "sha512 of imei")]
    [InlineData("9f63f584ae225b56f5823d22d217eccc323cbe15f9ad39d932647c1f35e67c0d", "sha3-256 of imei")]
    [InlineData("A1B575E0D3DABDC93F3C6190A239B5420F65D13601DCF1EEE2BBD4F6A6168111", "sha256 of imei")]
    [InlineData("9f63f584ae225b56", "sha3-256 of imei (first 16 hex digits)")]
    [InlineData("b8abf95d", "sha224 of imei (first 8 hex digits)")]
    [InlineData("pAlwCdZHHFlF87xuRYUVi6djOhJMZ6eKqQZ4HJ8nnt0iDsMHjbBIJ6zwH9b5pV%2BWIFy5a27r1QV45qTNjR8H2Q%3D%3D", "base64 of sha512 of imei")]
    [InlineData("3c4c050d411186b17bbd5dce24a4c395", "md5 of sha1 of imei")]
    [InlineData("c9ab7b4f470f4b76252c85cab5d7c1297463015cbafd865de1cfd5416f0b7e2e", "sha256 of md5 of imei")]
    [InlineData("572e1163cfd9dc7aadfa5a5894d64d42", "md5 of imei (without its check digit)")]
    [InlineData("35693803564380", "imei (without its check digit)")]
    [InlineData("b45081123b1bb04cb138118bd82f505db32d48930b88d2a6c7ddf786e39b8fa6", "sha256 of account")] // the profile value is trimmed, and hashed lower-cased too
    [InlineData("2ebdcb1bacf1ff0801da3dac97a864a1d35d3b3b7aa75c47bd4b220f9f04c4e2", "sha256 of phone_number (E.164)")]
    [InlineData("13812345678", "phone_number (without country code)")]
    [InlineData("8613812345678", "phone_number (digits only)")]
    public void Each_form_is_found_and_named(string sent, string expected)
    {
        var engine = new DetectionEngine(MiAudit.Detection.Rules.RuleSet.BuiltIn(), DeviceProfile.Parse(Profile, "phone.yaml"));

        var findings = engine.Analyze(FlowBuilder.Get($"https://t.tracker.example/c?h={sent}&x=1"));

        var finding = Assert.Single(findings, f => f.RuleId == "device-identifier");
        Assert.Equal($"query[h]", finding.LeafPath);
        Assert.Contains(expected, finding.MatchedAs);
    }

    [Fact]
    public void Every_pair_of_families_is_a_layer()
    {
        var variants = IdentifierVariants.For("imei", Imei).Select(v => v.Description).ToHashSet();
        var families = IdentifierVariants.Families.Select(f => f.Name).ToList();

        Assert.InRange(variants.Count, 140, 180); // docs/rules.md: about 160 forms of an IMEI
        Assert.Contains("sha3-256", families);
        Assert.Equal(7, families.Count);
        foreach (var outer in families)
        {
            foreach (var inner in families)
            {
                Assert.Contains($"{outer} of {inner} of imei", variants);
            }
        }
    }
}

/// <summary>Values no phone owns are never evidence, with a profile or without.</summary>
public class PlaceholderTests
{
    [Theory]
    [InlineData("imei", "000000000000000")]
    [InlineData("imei", "111111111111111")]
    [InlineData("imei", "004999010640000")]
    [InlineData("android_id", "9774d56d682e549c")]
    [InlineData("android_id", "0000000000000000")]
    [InlineData("advertising_id", "00000000-0000-0000-0000-000000000000")]
    [InlineData("mac", "02:00:00:00:00:00")]
    public void A_placeholder_in_the_profile_or_in_a_field_is_no_finding(string field, string value)
    {
        var profiled = new DetectionEngine(MiAudit.Detection.Rules.RuleSet.BuiltIn(), DeviceProfile.Parse($"identifiers:\n  {field}: \"{value}\"\n", "phone.yaml"));
        var unprofiled = new DetectionEngine(MiAudit.Detection.Rules.RuleSet.BuiltIn(), DeviceProfile.Empty);
        var name = field switch { "mac" => "mac", "advertising_id" => "gaid", _ => field };

        foreach (var engine in new[] { profiled, unprofiled })
        {
            var findings = engine.Analyze(FlowBuilder.Get($"https://t.tracker.example/c?{name}={Uri.EscapeDataString(value)}&x=1"));
            Assert.DoesNotContain(findings, f => f.Category == "device-id");
        }
    }

    [Fact]
    public void A_real_imei_beside_them_is_still_found_without_a_profile()
    {
        var engine = new DetectionEngine(MiAudit.Detection.Rules.RuleSet.BuiltIn(), DeviceProfile.Empty);

        var findings = engine.Analyze(FlowBuilder.Get("https://t.tracker.example/c?imei=356938035643809&imei2=000000000000000"));

        Assert.Single(findings, f => f.Category == "device-id");
    }
}

/// <summary>The device model in a browser's User-Agent is sent to every site by design; in a payload it is a leak.</summary>
public class BrowserHeaderAttributeTests
{
    private const string UserAgent = "Mozilla/5.0 (Linux; Android 10; Redmi Note 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";

    [Fact]
    public void The_model_in_the_user_agent_is_one_info_finding_per_destination()
    {
        var engine = TestDevice.Engine();
        var findings = new List<Findings.Finding>();
        for (var i = 0; i < 20; i++)
        {
            findings.AddRange(engine.Analyze(FlowBuilder.Get($"https://news.example.com/img/{i}.png").Header("User-Agent", UserAgent)));
        }

        findings.AddRange(engine.Analyze(FlowBuilder.Get("https://cdn.example.net/app.js").Header("User-Agent", UserAgent)));

        var model = findings.Where(f => f.RuleId == "device-attribute").ToList();
        Assert.Equal(2, model.Count); // before: 21, one per request
        Assert.All(model, f => Assert.Equal(Findings.Severity.Info, f.Severity));
    }

    [Fact]
    public void The_model_inside_a_telemetry_payload_stays_a_leak()
    {
        var engine = TestDevice.Engine();

        var findings = engine.Analyze(FlowBuilder.Post("https://t.tracker.example/e").Header("User-Agent", UserAgent)
            .Body($$$"""{"device":{"model":"{{{TestDevice.Model}}}"}}""", "application/json"));

        var payload = Assert.Single(findings, f => f.RuleId == "device-attribute" && f.LeafPath.StartsWith("body", StringComparison.Ordinal));
        Assert.Equal(Findings.Severity.Low, payload.Severity);
    }
}
