using System.Buffers;

namespace MiAudit.Detection.Detectors;

/// <summary>The decoded text around a match, on one line, so a finding can be read without opening the flow.</summary>
public static class Snippet
{
    // What string.ReplaceLineEndings replaces: CR, LF, FF, NEL, LS, PS.
    private static readonly SearchValues<char> LineEndings = SearchValues.Create("\r\n\f\u0085\u2028\u2029");

    public static string Around(string text, int start, int length, int context = 40)
    {
        var from = Math.Max(0, start - context);
        var to = Math.Min(text.Length, start + length + context);
        var (before, after) = (from > 0 ? 1 : 0, to < text.Length ? 1 : 0);
        if (text.AsSpan(from, to - from).ContainsAny(LineEndings))
        {
            return (before > 0 ? "…" : "") + text[from..to].ReplaceLineEndings(" ") + (after > 0 ? "…" : "");
        }

        // One allocation: a snippet is made for every finding.
        return string.Create(before + (to - from) + after, (text, from, to, before), static (chars, state) =>
        {
            if (state.before > 0)
            {
                chars[0] = '…';
            }

            state.text.AsSpan(state.from, state.to - state.from).CopyTo(chars[state.before..]);
            if (chars.Length > state.before + state.to - state.from)
            {
                chars[^1] = '…';
            }
        });
    }

    public static string Clip(string text, int max = 200) => text.Length <= max ? text : text[..max] + "…";
}
