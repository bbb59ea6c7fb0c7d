namespace MiAudit.Detection.Profiles;

/// <summary>MAC address spellings: <c>a4:50:46:12:34:56</c>, <c>A4-50-46-12-34-56</c>, <c>a45046123456</c>, <c>a450.4612.3456</c>.</summary>
public static class MacAddress
{
    /// <summary>Twelve lower-case hex digits, or null when <paramref name="text"/> is not a MAC address.</summary>
    public static string? Normalize(string text)
    {
        var hex = new string(text.Where(c => c is not (':' or '-' or '.')).ToArray()).ToLowerInvariant();
        return hex.Length == 12 && hex.All(char.IsAsciiHexDigit) ? hex : null;
    }

    public static IEnumerable<string> Spellings(string normalized)
    {
        var octets = normalized.Chunk(2).Select(o => new string(o)).ToArray();
        yield return string.Join(':', octets);
        yield return string.Join('-', octets);
        yield return normalized;
        yield return $"{normalized[..4]}.{normalized[4..8]}.{normalized[8..]}";
    }

    /// <summary>Values that identify nothing: Android 6+ reports 02:00:00:00:00:00 to apps.</summary>
    public static bool IsPlaceholder(string normalized) => normalized is "020000000000" or "000000000000" or "ffffffffffff";
}
