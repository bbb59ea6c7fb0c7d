using System.Collections.Concurrent;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Texts every decoder turned down, remembered so the registry is not walked again for them: cookies, session ids
/// and User-Agents repeat on every request, and each one tried as base64, base32, lz-string and base58 costs more than
/// the rest of an ordinary request. Decoding is pure, so a text that yielded nothing (and hit no limit) yields nothing
/// again. Bounded: past the limit it forgets everything once.
/// </summary>
internal static class UndecodedTexts
{
    private const int MinLength = 4; // what the expander tries to decode at all
    private const int MaxLength = 1024;
    private const int MaxEntries = 2048;
    private static readonly ConcurrentDictionary<string, byte> Known = new(StringComparer.Ordinal);

    public static bool Contains(string text) => text.Length is >= MinLength and <= MaxLength && Known.ContainsKey(text);

    public static void Add(string text)
    {
        if (text.Length is < MinLength or > MaxLength)
        {
            return;
        }

        if (Known.Count >= MaxEntries)
        {
            Known.Clear();
        }

        Known.TryAdd(text, 0);
    }
}
