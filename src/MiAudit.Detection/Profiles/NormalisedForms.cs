namespace MiAudit.Detection.Profiles;

/// <summary>
/// The spellings of a profile value an app may send or hash: a MAC with and without separators, an IMEI without its
/// check digit, a phone number as digits with and without its country code and in E.164, an e-mail trimmed and
/// lower-cased (as ad SDKs normalise before hashing).
/// </summary>
public static class NormalisedForms
{
    // Country calling codes, longest first where they share a start (REFERENCE: ITU-T E.164 assignments in use).
    private static readonly string[] CountryCodes =
    [
        "852", "853", "886", "880", "971", "966", "234", "254", "351", "353", "358", "380", "420",
        "86", "91", "81", "82", "62", "63", "60", "65", "66", "84", "90", "92", "98", "44", "49", "33", "34", "39", "31",
        "32", "41", "43", "45", "46", "47", "48", "55", "52", "54", "57", "61", "64", "27", "20", "1", "7",
    ];

    /// <summary>Each form once, the first as written; <c>Hashed</c> says whether apps are known to hash that form.</summary>
    public static IReadOnlyList<(string Text, string Description, bool Hashed)> For(string field, string value)
    {
        var forms = new List<(string Text, string Description, bool Hashed)>();
        void Add(string text, string description, bool hashed)
        {
            if (text.Length > 0 && !forms.Any(f => string.Equals(f.Text, text, StringComparison.OrdinalIgnoreCase)))
            {
                forms.Add((text, description, hashed));
            }
        }

        switch (field)
        {
            case "mac" when MacAddress.Normalize(value) is { } mac:
                var spellings = MacAddress.Spellings(mac).ToArray();
                Add(spellings[0], field, hashed: true);
                Add(spellings[1], $"{field} (dash-separated)", hashed: true);
                Add(spellings[2], $"{field} (no separators)", hashed: true);
                Add(spellings[3], $"{field} (dotted)", hashed: false);
                break;
            case "imei":
                Add(value, field, hashed: true);
                if (value.Length == 15 && value.All(char.IsAsciiDigit))
                {
                    Add(value[..14], $"{field} (without its check digit)", hashed: true);
                }

                break;
            case "phone_number":
                Add(value, field, hashed: true);
                foreach (var (text, description) in PhoneForms(value))
                {
                    Add(text, $"{field} ({description})", hashed: true);
                }

                break;
            case "account" when value.Contains('@'):
                Add(value, field, hashed: true);
                Add(value.Trim().ToLowerInvariant(), $"{field} (trimmed, lower case)", hashed: true);
                break;
            default:
                Add(value, field, hashed: true);
                break;
        }

        return forms;
    }

    private static IEnumerable<(string Text, string Description)> PhoneForms(string value)
    {
        var digits = new string(value.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length < 6)
        {
            yield break;
        }

        yield return (digits, "digits only");
        var international = value.TrimStart().StartsWith('+') || value.TrimStart().StartsWith("00", StringComparison.Ordinal);
        var full = value.TrimStart().StartsWith("00", StringComparison.Ordinal) ? digits[2..] : digits;
        if (international && CountryCodes.FirstOrDefault(c => full.StartsWith(c, StringComparison.Ordinal) && full.Length - c.Length >= 6) is { } code)
        {
            yield return ($"+{full}", "E.164");
            yield return (full, "digits with country code");
            var national = full[code.Length..];
            yield return (national, "without country code");
            yield return ("0" + national, "national, with trunk prefix");
        }
    }
}
