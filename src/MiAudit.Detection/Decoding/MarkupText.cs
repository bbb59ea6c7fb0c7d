using System.Text.RegularExpressions;

namespace MiAudit.Detection.Decoding;

/// <summary>Text and attribute values of XML (and HTML-ish) bodies, without a full parser: leaks hide in values.</summary>
internal static partial class MarkupText
{
    public static bool LooksLikeMarkup(ReadOnlySpan<char> text)
    {
        var trimmed = text.TrimStart();
        return trimmed.Length > 3 && trimmed[0] == '<' && (char.IsAsciiLetter(trimmed[1]) || trimmed[1] is '?' or '!');
    }

    public static IEnumerable<string> Values(string markup)
    {
        foreach (Match match in TextOrAttribute().Matches(markup))
        {
            var value = (match.Groups["text"].Success ? match.Groups["text"] : match.Groups["attr"]).Value.Trim();
            if (value.Length > 0)
            {
                yield return System.Net.WebUtility.HtmlDecode(value);
            }
        }
    }

    [GeneratedRegex(@">(?<text>[^<]+)<|=""(?<attr>[^""]*)""", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex TextOrAttribute();
}
