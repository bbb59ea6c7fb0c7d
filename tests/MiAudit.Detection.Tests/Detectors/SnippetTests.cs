using FsCheck;
using FsCheck.Fluent;
using MiAudit.Detection.Detectors;

namespace MiAudit.Detection.Tests.Detectors;

public sealed class SnippetTests
{
    private static readonly string[] Pieces = ["a", "Z", "0", " ", "\r", "\n", "\r\n", "\f", "\u0085", "\u2028", "\u2029", "…", "é", "\ud83d\ude00"];

    [Fact]
    public void A_snippet_is_the_text_around_the_match_on_one_line_with_ellipses_where_it_was_cut()
    {
        var cases = Gen.Choose(0, 120).SelectMany(n => Gen.ArrayOf(Gen.Elements(Pieces), n)).Select(string.Concat)
            .SelectMany(text => Gen.Choose(0, text.Length).SelectMany(start => Gen.Choose(0, text.Length - start).Select(length => (text, start, length))));

        Prop.ForAll(Arb.From(cases), c =>
        {
            var (text, start, length) = c;
            var from = Math.Max(0, start - 40);
            var to = Math.Min(text.Length, start + length + 40);
            var expected = (from > 0 ? "…" : "") + text[from..to].ReplaceLineEndings(" ") + (to < text.Length ? "…" : "");
            return Snippet.Around(text, start, length) == expected;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5_000));
    }

    [Fact]
    public void A_short_text_is_shown_whole_and_a_long_one_is_cut_on_both_sides()
    {
        Assert.Equal("imei=861234567890125", Snippet.Around("imei=861234567890125", 5, 15));
        var text = new string('x', 100) + "TARGET" + new string('y', 100);
        Assert.Equal("…" + new string('x', 40) + "TARGET" + new string('y', 40) + "…", Snippet.Around(text, 100, 6));
    }
}
