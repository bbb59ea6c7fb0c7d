using System.Text.RegularExpressions;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Detectors;

/// <summary>
/// Without (or beyond) a device profile: a field named like an identifier that holds a value shaped like one.
/// Reported as unconfirmed — the researcher checks it against the phone.
/// </summary>
public sealed partial class IdentifierFormatDetector(RuleSet rules, DeviceProfile profile) : IDetector
{
    private readonly Rule? _rule = rules.Enabled(RuleKind.IdentifierFormat).FirstOrDefault();
    private readonly HashSet<string> _known = profile.Identifiers.Select(i => i.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public void Detect(DetectionContext context)
    {
        if (_rule is null)
        {
            return;
        }

        foreach (var leaf in context.Values)
        {
            if (leaf.Path.FieldName is not { } field || leaf.Text.Length is < 12 or > 40 || _known.Contains(leaf.Text)
                || IdentifierName().Match(field) is not { Success: true } name)
            {
                continue;
            }

            var kind = Classify(name.Value.ToLowerInvariant(), leaf.Text);
            if (kind is not null)
            {
                context.Add(_rule, leaf.Text, $"{kind} in field '{field}' (not in the device profile)", leaf.Path, Snippet.Clip(leaf.Text));
            }
        }
    }

    private static string? Classify(string name, string value)
    {
        if (IdentifierFormats.IsImei(value) && name.Contains("imei", StringComparison.Ordinal))
        {
            return "IMEI with a valid Luhn check digit";
        }

        if (IdentifierFormats.IsImei(value) && name.Contains("device", StringComparison.Ordinal))
        {
            return "IMEI-shaped number with a valid Luhn check digit";
        }

        if (IdentifierFormats.IsMeid(value) && name.Contains("meid", StringComparison.Ordinal))
        {
            return "MEID";
        }

        if (IdentifierFormats.IsNonZeroUuid(value) && name is "gaid" or "adid" or "idfa" or "oaid" or "advertising" or "ad_id" or "advertisingid" or "advertising_id")
        {
            return "advertising ID (UUID)";
        }

        if (IdentifierFormats.IsAndroidId(value) && (name.Contains("android", StringComparison.Ordinal) || name.Contains("device", StringComparison.Ordinal)))
        {
            return "Android ID (16 hex digits)";
        }

        if (IdentifierFormats.IsMac(value) && name.Contains("mac", StringComparison.Ordinal))
        {
            return "MAC address";
        }

        return null;
    }

    // Field names that announce an identifier, e.g. imei, $device_id, android_id, gaid, oaid, mac_address.
    [GeneratedRegex("imei|meid|android_?id|device_?id|deviceid|gaid|adid|idfa|oaid|advertising_?id|advertising|ad_id|mac", RegexOptions.IgnoreCase)]
    private static partial Regex IdentifierName();
}
