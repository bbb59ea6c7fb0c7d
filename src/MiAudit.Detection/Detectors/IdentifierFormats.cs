using System.Text.RegularExpressions;
using MiAudit.Detection.Profiles;

namespace MiAudit.Detection.Detectors;

/// <summary>The shapes of device identifiers (REFERENCE §3), for finding them without knowing their values.</summary>
public static partial class IdentifierFormats
{
    // Android IDs the Sensors Analytics SDK itself ignores as placeholders.
    private static readonly HashSet<string> PlaceholderAndroidIds = new(StringComparer.OrdinalIgnoreCase)
    {
        "9774d56d682e549c", "0123456789abcdef", "0000000000000000",
    };

    // IMEIs of emulators and of builds that hide the real one.
    private static readonly HashSet<string> PlaceholderImeis = ["004999010640000", "358240051111110", "012345678912345"];

    public static bool IsPlaceholderAndroidId(string value) => PlaceholderAndroidIds.Contains(value);

    /// <summary>
    /// A value no device owns: one character repeated (after separators), such as <c>000000000000000</c>, which
    /// passes the Luhn check trivially, or an emulator's IMEI. Never evidence, with a profile or without.
    /// </summary>
    public static bool IsPlaceholder(string value)
    {
        var significant = value.Where(c => c is not ('-' or ':' or '.' or ' ')).ToList();
        return significant.Count == 0 || significant.All(c => char.ToLowerInvariant(c) == char.ToLowerInvariant(significant[0]))
            || PlaceholderImeis.Contains(value) || IsPlaceholderAndroidId(value);
    }

    /// <summary>15 digits whose last is the Luhn check digit of the first 14, and not a placeholder.</summary>
    public static bool IsImei(string value) => value.Length == 15 && value.All(char.IsAsciiDigit) && LuhnValid(value) && !IsPlaceholder(value);

    /// <summary>A UUID that is not all zeros (a limited advertising ID is all zeros).</summary>
    public static bool IsNonZeroUuid(string value) => Uuid().IsMatch(value) && value.Any(c => c is not ('0' or '-'));

    public static bool IsAndroidId(string value) => value.Length == 16 && value.All(char.IsAsciiHexDigit) && !IsPlaceholderAndroidId(value);

    public static bool IsMeid(string value) => value.Length == 14 && value.All(char.IsAsciiHexDigit) && value.Any(char.IsAsciiLetter) && !IsPlaceholder(value);

    public static bool IsMac(string value) =>
        MacSpelling().IsMatch(value) && MacAddress.Normalize(value) is { } mac && !MacAddress.IsPlaceholder(mac);

    public static bool LuhnValid(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var digit = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }

            sum += digit;
        }

        return sum % 10 == 0;
    }

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex Uuid();

    [GeneratedRegex("^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^[0-9a-fA-F]{4}\\.[0-9a-fA-F]{4}\\.[0-9a-fA-F]{4}$")]
    private static partial Regex MacSpelling();
}
