namespace MiAudit.Detection.Matching;

/// <summary>
/// Many tagged patterns, some case-sensitive (base64) and most not, searched in one pass each.
/// Results keep only matches that pass a boundary check, and drop a match inside a longer match of the same group
/// (a hash's first 16 digits inside the whole hash, a URL without scheme inside the full URL).
/// </summary>
public sealed class PatternSet<TTag>
{
    private readonly AhoCorasick _folded;
    private readonly AhoCorasick _exact;
    private readonly (string Text, TTag Tag)[] _foldedPatterns;
    private readonly (string Text, TTag Tag)[] _exactPatterns;

    public PatternSet(IEnumerable<(string Text, TTag Tag, bool CaseSensitive)> patterns)
    {
        var all = patterns.Where(p => p.Text.Length > 0).ToArray();
        _foldedPatterns = all.Where(p => !p.CaseSensitive).Select(p => (p.Text, p.Tag)).ToArray();
        _exactPatterns = all.Where(p => p.CaseSensitive).Select(p => (p.Text, p.Tag)).ToArray();
        _folded = new AhoCorasick(_foldedPatterns.Select(p => p.Text).ToArray(), ignoreCase: true);
        _exact = new AhoCorasick(_exactPatterns.Select(p => p.Text).ToArray(), ignoreCase: false);
    }

    public int Count => _foldedPatterns.Length + _exactPatterns.Length;

    /// <param name="accept">Decides whether a raw match counts (boundaries, time, site); called for every occurrence.</param>
    /// <param name="group">Matches of one group overlap by design; only the longest of nested ones is kept.</param>
    public List<PatternMatch<TTag>> Find(string text, Func<string, PatternMatch<TTag>, bool> accept, Func<TTag, object> group)
    {
        var state = new SearchState(text, accept, []);
        state.Patterns = _foldedPatterns;
        _folded.Search(text, ref state, Collect);
        state.Patterns = _exactPatterns;
        _exact.Search(text, ref state, Collect);
        return state.Matches.Count <= 1 ? state.Matches : DropNested(state.Matches, group);
    }

    private static void Collect(ref SearchState state, int pattern, int end)
    {
        var (text, tag) = state.Patterns[pattern];
        var match = new PatternMatch<TTag>(end - text.Length, text.Length, tag);
        if (state.Accept(state.Text, match))
        {
            state.Matches.Add(match);
        }
    }

    private static List<PatternMatch<TTag>> DropNested(List<PatternMatch<TTag>> matches, Func<TTag, object> group)
    {
        var kept = new List<PatternMatch<TTag>>(matches.Count);
        foreach (var match in matches.OrderByDescending(m => m.Length))
        {
            var key = group(match.Tag);
            if (!kept.Any(k => k.Start <= match.Start && k.Start + k.Length >= match.Start + match.Length && Equals(group(k.Tag), key)))
            {
                kept.Add(match);
            }
        }

        return kept;
    }

    private struct SearchState(string text, Func<string, PatternMatch<TTag>, bool> accept, List<PatternMatch<TTag>> matches)
    {
        public readonly string Text = text;
        public readonly Func<string, PatternMatch<TTag>, bool> Accept = accept;
        public readonly List<PatternMatch<TTag>> Matches = matches;
        public (string Text, TTag Tag)[] Patterns = [];
    }
}

public readonly record struct PatternMatch<TTag>(int Start, int Length, TTag Tag)
{
    public int End => Start + Length;
}

/// <summary>Where a match may start and end so it is a whole value, not a piece of a longer one.</summary>
public static class Boundaries
{
    /// <summary>No letter or digit touches the match on either side.</summary>
    public static bool Alphanumeric(string text, int start, int end) =>
        (start == 0 || !char.IsLetterOrDigit(text[start - 1])) && (end >= text.Length || !char.IsLetterOrDigit(text[end]));

    /// <summary>A URL match is whole when what follows cannot continue its path (<c>/a</c> must not match inside <c>/ab</c>).</summary>
    public static bool Url(string text, int start, int end) =>
        (start == 0 || !(char.IsLetterOrDigit(text[start - 1]) || text[start - 1] is '-' or '.'))
        && (end >= text.Length || !(char.IsLetterOrDigit(text[end]) || text[end] is '-' or '.' or '_' or '~' or '%' or '/'));
}
