using MiAudit.Detection.Matching;

namespace MiAudit.Detection.Tests.Matching;

public class AhoCorasickTests
{
    [Fact]
    public void Finds_every_occurrence_of_every_pattern_like_a_naive_search()
    {
        var random = new Random(2026);
        const string alphabet = "abcAB-/";
        for (var round = 0; round < 200; round++)
        {
            var patterns = Enumerable.Range(0, random.Next(1, 12)).Select(_ => Word(random, alphabet, random.Next(1, 6))).Distinct().ToArray();
            // The text also has characters no pattern has, ASCII and not, which send the search back to the root.
            var text = Word(random, alphabet + "zé", random.Next(0, 200));
            foreach (var ignoreCase in new[] { true, false })
            {
                var automaton = new AhoCorasick(patterns, ignoreCase);
                var found = new List<(int, int)>();
                automaton.Search(text, ref found, static (ref List<(int, int)> list, int pattern, int end) => list.Add((pattern, end)));
                var again = new List<(int, int)>(); // through the dense rows the first search filled
                automaton.Search(text, ref again, static (ref List<(int, int)> list, int pattern, int end) => list.Add((pattern, end)));
                Assert.Equal(found, again);

                var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                var expected = new List<(int, int)>();
                for (var p = 0; p < patterns.Length; p++)
                {
                    for (var at = 0; at + patterns[p].Length <= text.Length; at++)
                    {
                        if (string.Compare(text, at, patterns[p], 0, patterns[p].Length, comparison) == 0)
                        {
                            expected.Add((p, at + patterns[p].Length));
                        }
                    }
                }

                Assert.Equal(expected.Order(), found.Order());
            }
        }
    }

    [Fact]
    public void Searches_stay_exact_when_more_states_are_visited_than_get_dense_rows()
    {
        // 400 patterns of 24 characters: about 9,000 states, more than the 4,096 that get dense rows.
        var random = new Random(25);
        var patterns = Enumerable.Range(0, 400).Select(_ => Word(random, "0123456789abcdef", 24)).Distinct().ToArray();
        var text = string.Concat(patterns.Select(p => p + "-"));
        var automaton = new AhoCorasick(patterns, ignoreCase: false);

        for (var round = 0; round < 2; round++)
        {
            var found = new List<(int, int)>();
            automaton.Search(text, ref found, static (ref List<(int, int)> list, int pattern, int end) => list.Add((pattern, end)));

            var expected = patterns.SelectMany((p, i) => AllEnds(text, p).Select(end => (i, end)));
            Assert.Equal(expected.Order(), found.Order());
        }
    }

    [Fact]
    public void Non_ascii_text_and_patterns_are_matched()
    {
        var automaton = new AhoCorasick(["小米浏览器", "ñandú"], ignoreCase: true);
        var found = 0;
        automaton.Search("用户使用小米浏览器 y ÑANDÚ no", ref found, static (ref int count, int _, int _) => count++);

        Assert.Equal(1, found); // case folding is ASCII-only by design: hex, base64 and URLs are ASCII
    }

    private static IEnumerable<int> AllEnds(string text, string pattern)
    {
        for (var at = text.IndexOf(pattern, StringComparison.Ordinal); at >= 0; at = text.IndexOf(pattern, at + 1, StringComparison.Ordinal))
        {
            yield return at + pattern.Length;
        }
    }

    private static string Word(Random random, string alphabet, int length) =>
        new(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
}
