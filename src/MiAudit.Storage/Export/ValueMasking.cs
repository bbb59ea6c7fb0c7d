namespace MiAudit.Storage.Export;

/// <summary>
/// Masks identifier values for reports that must not republish them: <c>8612*******0125</c>.
/// Only device-id and account categories are masked; URLs and endpoints stay readable.
/// </summary>
public static class ValueMasking
{
    private static readonly HashSet<string> MaskedCategories = new(StringComparer.OrdinalIgnoreCase) { "device-id", "account" };

    public static string Apply(string category, string value, bool mask) =>
        mask && IsIdentifier(category) ? Mask(value) : value;

    /// <summary>Whether values of this category identify the device or the person.</summary>
    public static bool IsIdentifier(string category) => MaskedCategories.Contains(category);

    public static string Mask(string value) =>
        value.Length <= 8 ? new string('*', value.Length) : value[..4] + new string('*', value.Length - 8) + value[^4..];
}
