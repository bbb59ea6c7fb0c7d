using MiAudit.Detection.Loading;
using YamlDotNet.RepresentationModel;

namespace MiAudit.Detection.Profiles;

/// <summary>
/// The test phone's known values, filled in by the researcher: identifiers (IMEI, Android ID, advertising ID, OAID,
/// MAC, serial, IMSI, phone number, account, free-form extras) and attributes (model, Android and ROM version, build
/// fingerprint). Knowing the real values is what lets MiAudit recognise them after hashing and encoding.
/// </summary>
public sealed class DeviceProfile
{
    /// <summary>Identifier fields the format names; other keys under <c>identifiers</c> are accepted as extras.</summary>
    public static readonly string[] KnownIdentifiers =
        ["imei", "meid", "android_id", "advertising_id", "oaid", "mac", "serial", "imsi", "phone_number", "account"];

    public static readonly string[] KnownAttributes =
        ["model", "manufacturer", "android_version", "rom_version", "build_fingerprint"];

    public DeviceProfile(string? name, IReadOnlyList<ProfileValue> identifiers, IReadOnlyList<ProfileValue> attributes)
    {
        Name = name;
        Identifiers = identifiers;
        Attributes = attributes;
    }

    public string? Name { get; }

    public IReadOnlyList<ProfileValue> Identifiers { get; }

    public IReadOnlyList<ProfileValue> Attributes { get; }

    public static DeviceProfile Empty { get; } = new(null, [], []);

    public static DeviceProfile Load(string path) => Parse(File.ReadAllText(path), path);

    /// <exception cref="ConfigurationFileException">The text is not a valid profile; the message names the line.</exception>
    public static DeviceProfile Parse(string text, string sourceName)
    {
        var source = new YamlSource(sourceName);
        var root = source.Mapping(source.Parse(text), "a device profile");
        source.OnlyKeys(root, "a device profile", "name", "identifiers", "attributes");

        var identifiers = new List<ProfileValue>();
        if (source.Optional(root, "identifiers") is { } identifierNode)
        {
            foreach (var (key, value) in source.Mapping(identifierNode, "identifiers").Children)
            {
                var field = source.Scalar(key, "an identifier name");
                if (field == "extra")
                {
                    foreach (var (extraKey, extraValue) in source.Mapping(value, "identifiers.extra").Children)
                    {
                        identifiers.AddRange(Values(source, source.Scalar(extraKey, "an extra identifier name"), extraValue));
                    }
                }
                else
                {
                    identifiers.AddRange(Values(source, field, value));
                }
            }
        }

        var attributes = new List<ProfileValue>();
        if (source.Optional(root, "attributes") is { } attributeNode)
        {
            foreach (var (key, value) in source.Mapping(attributeNode, "attributes").Children)
            {
                attributes.AddRange(Values(source, source.Scalar(key, "an attribute name"), value));
            }
        }

        var name = source.Optional(root, "name") is { } nameNode ? source.Scalar(nameNode, "name") : null;
        return new DeviceProfile(name, identifiers, attributes);
    }

    private static IEnumerable<ProfileValue> Values(YamlSource source, string field, YamlNode node)
    {
        foreach (var value in source.Strings(node, field))
        {
            var trimmed = value.Trim();
            if (trimmed.Length == 0)
            {
                throw source.Error(node, $"'{field}' has an empty value");
            }

            if (field == "mac" && MacAddress.Normalize(trimmed) is null)
            {
                throw source.Error(node, $"'{trimmed}' is not a MAC address (six hex octets)");
            }

            yield return new ProfileValue(field, trimmed);
        }
    }
}

/// <summary>One identifier or attribute value of the profile.</summary>
public sealed record ProfileValue(string Field, string Value);
