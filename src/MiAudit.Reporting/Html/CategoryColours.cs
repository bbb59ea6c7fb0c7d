namespace MiAudit.Reporting.Html;

/// <summary>One colour per category, the same in the chart, the legend and the tables.</summary>
internal static class CategoryColours
{
    private static readonly Dictionary<string, string> Known = new(StringComparer.Ordinal)
    {
        ["url-leak"] = "#d1495b",
        ["device-id"] = "#edae49",
        ["telemetry"] = "#00798c",
        ["fingerprint"] = "#6a4c93",
        ["tracker"] = "#30638e",
        ["account"] = "#8f2d56",
    };

    // For categories a custom rule file invents; chosen by the name, so a category keeps its colour across reports.
    private static readonly string[] Others = ["#4f772d", "#bc6c25", "#577590", "#9c6644", "#43aa8b", "#b5838d"];

    public static string For(string category) =>
        Known.TryGetValue(category, out var colour) ? colour : Others[(int)((uint)StableHash(category) % Others.Length)];

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}
