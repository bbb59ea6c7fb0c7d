using System.Net;
using System.Text;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// <c>application/x-www-form-urlencoded</c> and query strings: <c>a=1&amp;b=x%20y</c> into name/value pairs.
/// Values are percent-decoded once here; further layers are the expander's job, so each one shows in the path.
/// </summary>
internal static class FormEncoding
{
    // Real parameter names are short; a longer "name" is data that happens to contain '='.
    private const int MaxNameLength = 64;

    public static List<KeyValuePair<string, string>> Parse(ReadOnlySpan<char> text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (text.Length > 0 && text[0] == '?')
        {
            text = text[1..];
        }

        foreach (var range in text.Split('&'))
        {
            var part = text[range];
            if (part.IsEmpty)
            {
                continue;
            }

            var equals = part.IndexOf('=');
            var name = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? [] : part[(equals + 1)..];
            pairs.Add(new(Decode(name), Decode(value)));
        }

        return pairs;
    }

    /// <summary>
    /// A string shaped like <c>name=value(&amp;name=value)*</c> with short token-like names.
    /// Base64 padding (<c>…ZQ==</c>) is not a form.
    /// </summary>
    public static bool LooksLikeForm(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || text.Contains('\n') || text.Contains(' ')
            || (!text.Contains('&') && TextSniffing.LooksLikeBase64(text, out _)))
        {
            return false;
        }

        var sawPair = false;
        foreach (var range in text.Split('&'))
        {
            var part = text[range];
            var equals = part.IndexOf('=');
            if (equals <= 0 || equals > MaxNameLength || !IsToken(part[..equals]))
            {
                return false;
            }

            sawPair = true;
        }

        return sawPair;
    }

    /// <summary>Percent-decoding with '+' as space, as HTML forms encode; malformed escapes stay as they are.</summary>
    public static string Decode(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAny('%', '+'))
        {
            return text.ToString();
        }

        return WebUtility.UrlDecode(text.ToString());
    }

    /// <summary>Percent-decoding only ('+' kept), for paths and free text; UTF-8 by RFC 3986.</summary>
    public static string DecodePercent(string text) => Uri.UnescapeDataString(text);

    private static bool IsToken(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '$' or '[' or ']' or '%'))
            {
                return false;
            }
        }

        return true;
    }
}
