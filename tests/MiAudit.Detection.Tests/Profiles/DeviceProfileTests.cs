using MiAudit.Detection.Loading;
using MiAudit.Detection.Profiles;

namespace MiAudit.Detection.Tests.Profiles;

public class DeviceProfileTests
{
    [Fact]
    public void A_profile_lists_identifiers_extras_and_attributes()
    {
        var profile = TestDevice.Profile;

        Assert.Equal("Redmi Note 8 Pro (test phone)", profile.Name);
        Assert.Equal(2, profile.Identifiers.Count(i => i.Field == "imei"));
        Assert.Contains(profile.Identifiers, i => i.Field == "xiaomi_user_id" && i.Value == "6234987123");
        Assert.Contains(profile.Attributes, a => a.Field == "android_version" && a.Value == "10");
    }

    [Fact]
    public void Json_profiles_are_accepted()
    {
        var profile = DeviceProfile.Parse("""{"identifiers":{"imei":"861234567890125"},"attributes":{"model":"K"}}""", "p.json");

        Assert.Single(profile.Identifiers);
    }

    [Theory]
    [InlineData("identifiers:\n  mac: zz:zz\n", 2, "is not a MAC address")]
    [InlineData("identifier:\n  imei: 1\n", 1, "unknown key 'identifier'")]
    [InlineData("identifiers:\n  imei: ''\n", 2, "empty value")]
    public void Mistakes_are_reported_with_the_line(string text, int line, string reason)
    {
        var error = Assert.Throws<ConfigurationFileException>(() => DeviceProfile.Parse(text, "device.yaml"));

        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Variants_include_hashes_truncations_and_mac_spellings()
    {
        var variants = IdentifierVariants.For("mac", "A4:50:46:12:34:56").ToList();

        Assert.Contains(variants, v => v.Text == "a4-50-46-12-34-56");
        Assert.Contains(variants, v => v.Text == "a450.4612.3456");
        Assert.Contains(variants, v => v.Description == "sha256 of mac (first 16 hex digits)" && v.Text.Length == 16);
        Assert.Contains(variants, v => v.Description.StartsWith("base64 of") && v.CaseSensitive);
    }
}
