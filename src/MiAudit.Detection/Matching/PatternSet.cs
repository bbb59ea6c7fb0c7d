using System.Collections.Concurrent;

namespace MiAudit.Detection.Matching;

/// <summary>
/// Many tagged patterns searched in one pass: all are folded to lower-case ASCII in one automaton, and the few that
/// are case-sensitive (base64) are checked against the text when they match. Results keep only matches that pass a
/// boundary check, and drop a match inside a longer match of the same group (a hash's first 16 digits inside the whole
/// hash, a URL without scheme inside the full URL).
/// </summary>
public sealed class PatternSet<TTag>
{
    private static readonly List<PatternMatch<TTag>> NoMatches = [];

    // Texts that come with every request (User-Agent, Accept-Language, cookies) and held no pattern are remembered,
    // so later requests skip their scan: a lookup costs a hash, a scan several nanoseconds per character.
    // Bounded in count and length; a text with any raw match is never remembered, whatever accept said of it.
    private const int MinRememberedLength = 32;
    private const int MaxRememberedLength = 2048;
    private const int MaxRemembered = 512;

    private readonly ConcurrentDictionary<string, bool> _withoutMatches = new(StringComparer.Ordinal);
    private int _rememberedCount;

    private readonly AhoCorasick _automaton;
    private readonly (string Text, TTag Tag, bool CaseSensitive)[] _patterns;

    public PatternSet(IEnumerable<(string Text, TTag Tag, bool CaseSensitive)> patterns)
    {
        _patterns = patterns.Where(p => p.Text.Length > 0).ToArray();
        _automaton = new AhoCorasick(_patterns.Select(p => p.Text).ToArray(), ignoreCase: true);
    }

    public int Count => _patterns.Length;

    /// <param name="accept">Decides whether a raw match counts (boundaries, time, site); called for every occurrence.</param>
    /// <param name="group">Matches of one group overlap by design; only the longest of nested ones is kept.</param>
    /// <returns>The matches; callers must not change the list (the empty one is shared).</returns>
    public List<PatternMatch<TTag>> Find(string text, Func<string, PatternMatch<TTag>, bool> accept, Func<TTag, object> group)
    {
        var rememberable = text.Length is >= MinRememberedLength and <= MaxRememberedLength;
        if (rememberable && _withoutMatches.ContainsKey(text))
        {
            return NoMatches;
        }

        var state = new SearchState(text, _patterns, accept);
        _automaton.Search(text, ref state, Collect);
        if (!state.AnyRawMatch && rememberable && Volatile.Read(ref _rememberedCount) < MaxRemembered
            && Interlocked.Increment(ref _rememberedCount) <= MaxRemembered)
        {
            _withoutMatches.TryAdd(text, false);
        }

        return state.Matches is null ? NoMatches : state.Matches.Count == 1 ? state.Matches : DropNested(state.Matches, group);
    }

    private static void Collect(ref SearchState state, int pattern, int end)
    {
        var (text, tag, caseSensitive) = state.Patterns[pattern];
        var start = end - text.Length;
        if (caseSensitive && !state.Text.AsSpan(start, text.Length).SequenceEqual(text))
        {
            return;
        }

        state.AnyRawMatch = true;
        var match = new PatternMatch<TTag>(start, text.Length, tag);
        if (state.Accept(state.Text, match))
        {
            (state.Matches ??= []).Add(match);
        }
    }

    private static List<PatternMatch<TTag>> DropNested(List<PatternMatch<TTag>> matches, Func<TTag, object> group)
    {
        // Longest first, so a match only needs comparing with those already kept; stable for equal lengths.
        var order = new int[matches.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => matches[a].Length != matches[b].Length ? matches[b].Length.CompareTo(matches[a].Length) : a.CompareTo(b));
        var kept = new List<PatternMatch<TTag>>(order.Length);
        var keptGroups = new object[order.Length];
        foreach (var index in order)
        {
            var (match, key) = (matches[index], group(matches[index].Tag));
            var nested = false;
            for (var k = 0; k < kept.Count && !nested; k++)
            {
                nested = kept[k].Start <= match.Start && kept[k].End >= match.End && Equals(keptGroups[k], key);
            }

            if (!nested)
            {
                keptGroups[kept.Count] = key;
                kept.Add(match);
            }
        }

        return kept;
    }

    private struct SearchState(string text, (string Text, TTag Tag, bool CaseSensitive)[] patterns, Func<string, PatternMatch<TTag>, bool> accept)
    {
        public readonly string Text = text;
        public readonly (string Text, TTag Tag, bool CaseSensitive)[] Patterns = patterns;
        public readonly Func<string, PatternMatch<TTag>, bool> Accept = accept;
        public List<PatternMatch<TTag>>? Matches;
        public bool AnyRawMatch;
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
