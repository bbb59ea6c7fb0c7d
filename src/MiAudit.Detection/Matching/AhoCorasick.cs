namespace MiAudit.Detection.Matching;

/// <summary>
/// Finds every occurrence of many patterns in one pass over a text (Aho–Corasick), so hundreds of identifier
/// variants and visited URLs cost about the same as one. Optionally folds ASCII case on both sides.
/// Immutable once built; safe to search from several threads.
/// </summary>
public sealed class AhoCorasick
{
    private const int RootFanout = 128;

    /// <summary>Dense rows are kept for at most this many states; a search beyond them takes the sparse path.</summary>
    private const int MaxDenseRows = 4096;

    // The patterns' alphabet: each distinct (folded) character is a class; class 0 is every character no pattern has,
    // which leads back to the root from any state.
    private readonly int[] _asciiClass = new int[RootFanout];
    private readonly Dictionary<char, int> _otherClass = [];
    private readonly char[] _classChar;

    // A search visits few states (mostly the root and shallow ones): each gets a full row over the alphabet the first
    // time it is left, so later steps from it are one array read instead of a binary search and fail links.
    // Rows are filled with values every thread computes alike, so sharing them between searches needs no lock.
    private readonly int[]?[] _denseRows;
    private int _denseRowCount;
    private readonly int[] _rootTransitions = new int[RootFanout];
    private readonly int[] _edgeStart;
    private readonly int[] _edgeCount;
    private readonly char[] _edgeChars;
    private readonly int[] _edgeTargets;
    private readonly int[] _fail;
    private readonly int[] _outputStart;
    private readonly int[] _outputs;

    public AhoCorasick(IReadOnlyList<string> patterns, bool ignoreCase)
    {
        PatternCount = patterns.Count;

        // Build the trie with dictionaries, then freeze it into flat arrays for fast, allocation-free searching.
        var children = new List<Dictionary<char, int>> { new() };
        var terminal = new List<List<int>?> { null };
        for (var p = 0; p < patterns.Count; p++)
        {
            var node = 0;
            foreach (var raw in patterns[p])
            {
                var c = ignoreCase ? Fold(raw) : raw;
                if (!children[node].TryGetValue(c, out var next))
                {
                    next = children.Count;
                    children[node][c] = next;
                    children.Add(new Dictionary<char, int>());
                    terminal.Add(null);
                }

                node = next;
            }

            (terminal[node] ??= []).Add(p);
        }

        var count = children.Count;
        _fail = new int[count];
        var outputs = new List<int>[count];
        var order = new List<int>(count) { 0 };
        outputs[0] = terminal[0] ?? [];
        for (var i = 0; i < order.Count; i++)
        {
            var node = order[i];
            foreach (var (c, child) in children[node])
            {
                var fallback = node == 0 ? 0 : Follow(children, _fail, _fail[node], c);
                _fail[child] = fallback;
                outputs[child] = terminal[child] is { } own ? [.. own, .. outputs[fallback]] : outputs[fallback];
                order.Add(child);
            }
        }

        _edgeStart = new int[count];
        _edgeCount = new int[count];
        var edgeTotal = children.Sum(c => c.Count);
        _edgeChars = new char[edgeTotal];
        _edgeTargets = new int[edgeTotal];
        _outputStart = new int[count + 1];
        _outputs = new int[outputs.Sum(o => o.Count)];
        var edge = 0;
        var output = 0;
        for (var node = 0; node < count; node++)
        {
            _edgeStart[node] = edge;
            foreach (var (c, child) in children[node].OrderBy(kv => kv.Key))
            {
                _edgeChars[edge] = c;
                _edgeTargets[edge++] = child;
            }

            _edgeCount[node] = edge - _edgeStart[node];
            _outputStart[node] = output;
            foreach (var pattern in outputs[node])
            {
                _outputs[output++] = pattern;
            }
        }

        _outputStart[count] = output;
        for (var c = 0; c < RootFanout; c++)
        {
            _rootTransitions[c] = children[0].TryGetValue((char)c, out var child) ? child : 0;
        }

        var alphabet = _edgeChars.Distinct().Order().ToArray();
        _classChar = ['\0', .. alphabet];
        for (var i = 0; i < alphabet.Length; i++)
        {
            var c = alphabet[i];
            if (c < RootFanout)
            {
                _asciiClass[c] = i + 1;
                if (ignoreCase && c is >= 'a' and <= 'z')
                {
                    _asciiClass[c - 0x20] = i + 1;
                }
            }
            else
            {
                _otherClass[c] = i + 1;
            }
        }

        _denseRows = new int[]?[count];
    }

    public int PatternCount { get; }

    /// <summary>Calls <paramref name="onMatch"/> with (pattern index, index just past the match) for every occurrence.</summary>
    public void Search<TState>(ReadOnlySpan<char> text, ref TState state, MatchHandler<TState> onMatch)
    {
        if (PatternCount == 0)
        {
            return;
        }

        var node = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var symbol = c < RootFanout ? _asciiClass[c] : _otherClass.GetValueOrDefault(c);
            if (symbol == 0)
            {
                node = 0;
            }
            else
            {
                var row = _denseRows[node];
                var next = row is null ? -1 : row[symbol];
                node = next >= 0 ? next : Step(node, symbol);
            }

            for (var o = _outputStart[node]; o < _outputStart[node + 1]; o++)
            {
                onMatch(ref state, _outputs[o], i + 1);
            }
        }
    }

    public delegate void MatchHandler<TState>(ref TState state, int pattern, int end);

    /// <summary>The next state through edges and fail links, remembered in the state's dense row while rows last.</summary>
    private int Step(int node, int symbol)
    {
        var c = _classChar[symbol];
        var state = node;
        int next;
        while ((next = Transition(state, c)) < 0)
        {
            state = _fail[state];
        }

        var row = _denseRows[node];
        // Read before counting: once rows run out, steps must not keep counting (the count would wrap in a long run).
        if (row is null && Volatile.Read(ref _denseRowCount) < MaxDenseRows && Interlocked.Increment(ref _denseRowCount) <= MaxDenseRows)
        {
            var fresh = new int[_classChar.Length];
            Array.Fill(fresh, -1);
            row = Interlocked.CompareExchange(ref _denseRows[node], fresh, null) ?? fresh;
        }

        if (row is not null)
        {
            row[symbol] = next;
        }

        return next;
    }

    /// <summary>The next state, or -1 when <paramref name="node"/> has no edge for <paramref name="c"/> (the root never fails).</summary>
    private int Transition(int node, char c)
    {
        if (node == 0 && c < RootFanout)
        {
            return _rootTransitions[c];
        }

        var start = _edgeStart[node];
        var end = start + _edgeCount[node];
        while (start < end)
        {
            var middle = (start + end) >>> 1;
            var candidate = _edgeChars[middle];
            if (candidate == c)
            {
                return _edgeTargets[middle];
            }

            if (candidate < c)
            {
                start = middle + 1;
            }
            else
            {
                end = middle;
            }
        }

        return node == 0 ? 0 : -1;
    }

    private static char Fold(char c) => c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;

    /// <summary>During construction: the state reached from <paramref name="node"/> on <paramref name="c"/>, following fail links.</summary>
    private static int Follow(List<Dictionary<char, int>> children, int[] fail, int node, char c)
    {
        while (true)
        {
            if (children[node].TryGetValue(c, out var next))
            {
                return next;
            }

            if (node == 0)
            {
                return 0;
            }

            node = fail[node];
        }
    }
}
