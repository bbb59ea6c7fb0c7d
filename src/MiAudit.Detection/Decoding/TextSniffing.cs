using System.Buffers;
using System.Text;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Cheap checks that decide which decodings are worth trying on a string, and whether decoded bytes read as text.
/// They err towards not decoding: random tokens decoded into noise would only produce noise.
/// </summary>
internal static class TextSniffing
{
    private static readonly SearchValues<char> Base64Chars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");

    private static readonly SearchValues<char> Base64UrlChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=");

    private static readonly SearchValues<char> HexChars = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Shortest string considered for base64 (12 characters encode 9 bytes).</summary>
    public const int MinBase64Length = 12;

    public static bool LooksLikeJson(ReadOnlySpan<char> text)
    {
        var trimmed = text.Trim();
        return trimmed.Length >= 2
            && ((trimmed[0] == '{' && trimmed[^1] == '}') || (trimmed[0] == '[' && trimmed[^1] == ']'));
    }

    public static bool HasPercentEscape(ReadOnlySpan<char> text)
    {
        for (var i = text.IndexOf('%'); i >= 0 && i + 2 < text.Length; i = text[(i + 1)..].IndexOf('%') is var next and >= 0 ? i + 1 + next : -1)
        {
            if (char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]))
            {
                return true;
            }
        }

        return false;
    }

    public static bool HasHtmlEntity(ReadOnlySpan<char> text)
    {
        var amp = text.IndexOf('&');
        return amp >= 0 && text[amp..].IndexOf(';') is > 1 and < 10;
    }

    /// <summary>An even-length run of hex digits long enough to carry text (hashes decode to binary and are dropped later).</summary>
    public static bool LooksLikeHex(ReadOnlySpan<char> text) =>
        text.Length >= 16 && text.Length % 2 == 0 && !text.ContainsAnyExcept(HexChars);

    /// <summary>Base64 or base64url shape: one alphabet, padding only at the end, a length that can decode.</summary>
    public static bool LooksLikeBase64(ReadOnlySpan<char> text, out bool urlSafe)
    {
        urlSafe = false;
        if (text.Length < MinBase64Length || text.Length % 4 == 1)
        {
            return false;
        }

        var standard = !text.ContainsAnyExcept(Base64Chars);
        urlSafe = !standard && !text.ContainsAnyExcept(Base64UrlChars);
        if (!standard && !urlSafe)
        {
            return false;
        }

        var padding = text.IndexOf('=');
        if (padding >= 0 && (padding < text.Length - 2 || text[padding..].ContainsAnyExcept('=')))
        {
            return false;
        }

        // All hex (a hash, a hex id) is read as hex instead; all one case without digits is a word, not data.
        return !(text.Length % 2 == 0 && !text.TrimEnd('=').ContainsAnyExcept(HexChars));
    }

    public static byte[]? TryDecodeBase64(string text, bool urlSafe)
    {
        // Normalise into a pooled buffer (url-safe alphabet, padding) instead of allocating intermediate strings.
        var trimmed = text.AsSpan().TrimEnd('=');
        var padded = (trimmed.Length + 3) / 4 * 4;
        var chars = ArrayPool<char>.Shared.Rent(padded);
        var bytes = ArrayPool<byte>.Shared.Rent(padded / 4 * 3);
        try
        {
            trimmed.CopyTo(chars);
            if (urlSafe)
            {
                chars.AsSpan(0, trimmed.Length).Replace('-', '+');
                chars.AsSpan(0, trimmed.Length).Replace('_', '/');
            }

            chars.AsSpan(trimmed.Length, padded - trimmed.Length).Fill('=');
            return Convert.TryFromBase64Chars(chars.AsSpan(0, padded), bytes, out var written) ? bytes.AsSpan(0, written).ToArray() : null;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    public static byte[]? TryDecodeHex(string text)
    {
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Strict UTF-8 text made mostly of printable characters; null for binary.</summary>
    public static string? AsReadableText(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return null;
        }

        // Validate first: a decoder exception per binary value would cost more than all the rest of the request.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(bytes);

        var printable = 0;
        foreach (var c in text)
        {
            if (!char.IsControl(c) || c is '\n' or '\r' or '\t')
            {
                printable++;
            }
        }

        // Short decodes must be clean; longer ones may carry a few control bytes (separators in some SDKs).
        var required = text.Length < 16 ? 1.0 : 0.95;
        return printable >= text.Length * required ? text : null;
    }
}
