using MiAudit.Storage.Export;

namespace MiAudit.Reporting;

/// <summary>
/// Masks every known identifier wherever it appears in report text — values, snippets, URLs, headers, decoded
/// leaves — so a report can be published without republishing the test phone's identifiers.
/// </summary>
internal sealed class IdentifierMasking
{
    // Longest first, so a value that contains a shorter one is masked whole.
    private readonly List<string> _values;

    public IdentifierMasking(IEnumerable<string> identifiers, bool enabled)
    {
        _values = enabled
            ? identifiers.Where(v => v.Length >= 4).Distinct(StringComparer.OrdinalIgnoreCase).OrderByDescending(v => v.Length).ToList()
            : [];
    }

    public string Apply(string text)
    {
        foreach (var value in _values)
        {
            if (text.Contains(value, StringComparison.OrdinalIgnoreCase))
            {
                text = text.Replace(value, ValueMasking.Mask(value), StringComparison.OrdinalIgnoreCase);
            }
        }

        return text;
    }
}
