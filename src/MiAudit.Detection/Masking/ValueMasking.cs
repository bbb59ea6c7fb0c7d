namespace MiAudit.Detection.Masking;

/// <summary>
/// How a masked value reads: <c>8612*******0125</c>, the same length, its ends kept so a reader can tell values apart.
/// Only device-id and account categories are identifiers; other findings (URLs, endpoints) stay readable, with the
/// identifiers inside them masked by <see cref="MaskingPolicy"/>.
/// </summary>
public static class ValueMasking
{
    private static readonly HashSet<string> MaskedCategories = new(StringComparer.OrdinalIgnoreCase) { "device-id", "account" };

    /// <summary>Whether values of this category identify the device or the person.</summary>
    public static bool IsIdentifier(string category) => MaskedCategories.Contains(category);

    public static string Mask(string value) =>
        value.Length <= 8 ? new string('*', value.Length) : value[..4] + new string('*', value.Length - 8) + value[^4..];

    /// <summary>Masks each range of the text; overlapping or touching ranges are masked as one.</summary>
    public static string MaskRanges(string text, IEnumerable<(int Start, int End)> ranges)
    {
        var masked = new System.Text.StringBuilder(text.Length);
        var at = 0;
        (int Start, int End)? open = null;
        foreach (var range in ranges.OrderBy(r => r.Start))
        {
            if (open is { } current && range.Start <= current.End)
            {
                open = (current.Start, Math.Max(current.End, range.End));
                continue;
            }

            if (open is { } done)
            {
                masked.Append(text, at, done.Start - at).Append(Mask(text[done.Start..done.End]));
                at = done.End;
            }

            open = range;
        }

        if (open is { } last)
        {
            masked.Append(text, at, last.Start - at).Append(Mask(text[last.Start..last.End]));
            at = last.End;
        }

        return masked.Append(text, at, text.Length - at).ToString();
    }
}
