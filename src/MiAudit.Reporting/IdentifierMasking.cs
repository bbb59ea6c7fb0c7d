using System.Text;
using MiAudit.Detection.Matching;
using MiAudit.Storage.Export;

namespace MiAudit.Reporting;

/// <summary>
/// Masks every known identifier wherever it appears in report text — values, snippets, URLs, headers, decoded
/// leaves — so a report can be published without republishing the test phone's identifiers. One automaton pass per
/// text: an audit may have found thousands of identifier-shaped values, and the report masks tens of thousands of texts.
/// </summary>
internal sealed class IdentifierMasking
{
    private static readonly object OneGroup = new();

    private readonly PatternSet<bool>? _identifiers;

    public IdentifierMasking(IEnumerable<string> identifiers, bool enabled)
    {
        if (enabled)
        {
            // Case-insensitive, as detection matched them: an app may upper-case a hex identifier.
            _identifiers = new PatternSet<bool>(identifiers.Where(v => v.Length >= 4).Distinct(StringComparer.OrdinalIgnoreCase).Select(v => (v, true, false)));
        }
    }

    public string Apply(string text)
    {
        if (_identifiers is null || _identifiers.Count == 0)
        {
            return text;
        }

        // Nested matches are dropped by the set (a hash's first 16 digits inside the whole hash); of overlapping
        // ones the first wins, and the rest of it is masked with it.
        var matches = _identifiers.Find(text, static (_, _) => true, static _ => OneGroup);
        if (matches.Count == 0)
        {
            return text;
        }

        var masked = new StringBuilder(text.Length);
        var at = 0;
        foreach (var match in matches.OrderBy(m => m.Start))
        {
            var start = Math.Max(match.Start, at);
            if (start >= match.End)
            {
                continue;
            }

            masked.Append(text, at, start - at).Append(ValueMasking.Mask(text[start..match.End]));
            at = match.End;
        }

        return masked.Append(text, at, text.Length - at).ToString();
    }
}
