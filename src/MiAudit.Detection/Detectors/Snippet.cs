namespace MiAudit.Detection.Detectors;

/// <summary>The decoded text around a match, on one line, so a finding can be read without opening the flow.</summary>
public static class Snippet
{
    public static string Around(string text, int start, int length, int context = 40)
    {
        var from = Math.Max(0, start - context);
        var to = Math.Min(text.Length, start + length + context);
        var snippet = text[from..to].ReplaceLineEndings(" ");
        return (from > 0 ? "…" : "") + snippet + (to < text.Length ? "…" : "");
    }

    public static string Clip(string text, int max = 200) => text.Length <= max ? text : text[..max] + "…";
}
