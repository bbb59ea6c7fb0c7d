using System.Buffers;
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

    /// <summary>The pairs, decoded one at a time as they are read (no list: most are read once, in order).</summary>
    public static Pairs Parse(ReadOnlySpan<char> text) => new(text.Length > 0 && text[0] == '?' ? text[1..] : text);

    /// <summary>The name/value pairs of a form or query, enumerated in order.</summary>
    public ref struct Pairs(ReadOnlySpan<char> text)
    {
        private ReadOnlySpan<char> _rest = text;
        private bool _done;

        public readonly Pairs GetEnumerator() => this;

        public KeyValuePair<string, string> Current { get; private set; }

        public bool MoveNext()
        {
            while (!_done)
            {
                var amp = _rest.IndexOf('&');
                var part = amp < 0 ? _rest : _rest[..amp];
                _done = amp < 0;
                _rest = amp < 0 ? [] : _rest[(amp + 1)..];
                if (part.IsEmpty)
                {
                    continue;
                }

                var equals = part.IndexOf('=');
                var name = equals < 0 ? part : part[..equals];
                var value = equals < 0 ? [] : part[(equals + 1)..];
                Current = new(Decode(name), Decode(value));
                return true;
            }

            return false;
        }

        public List<KeyValuePair<string, string>> ToList()
        {
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (var pair in this)
            {
                pairs.Add(pair);
            }

            return pairs;
        }
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

        if (!Ascii.IsValid(text))
        {
            return WebUtility.UrlDecode(text.ToString());
        }

        // ASCII, as nearly every form and query is: escapes become bytes, read as UTF-8 once, as WebUtility does
        // (an ASCII byte never continues a UTF-8 sequence, so one pass gives the same text as its run-by-run reading).
        byte[]? rented = null;
        var bytes = text.Length <= 512 ? stackalloc byte[text.Length] : (rented = ArrayPool<byte>.Shared.Rent(text.Length));
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%' && i + 2 < text.Length && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]))
            {
                bytes[length++] = (byte)((HexValue(text[i + 1]) << 4) | HexValue(text[i + 2]));
                i += 2;
            }
            else
            {
                bytes[length++] = c == '+' ? (byte)' ' : (byte)c;
            }
        }

        var decoded = Encoding.UTF8.GetString(bytes[..length]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return decoded;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

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
