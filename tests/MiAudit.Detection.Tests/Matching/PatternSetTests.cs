using MiAudit.Detection.Matching;

namespace MiAudit.Detection.Tests.Matching;

public class PatternSetTests
{
    private const string Text = "Mozilla/5.0 (Linux; Android 10) carries 3f8a6b2c1d4e5f60 somewhere";

    [Fact]
    public void A_text_whose_match_was_refused_once_is_searched_again_next_time()
    {
        // Acceptance depends on the request (its site, its time): a refusal must not be remembered as "nothing here".
        var set = new PatternSet<string>([("3f8a6b2c1d4e5f60", "android_id", false)]);

        Assert.Empty(set.Find(Text, static (_, _) => false, static tag => tag));
        var match = Assert.Single(set.Find(Text, static (_, _) => true, static tag => tag));
        Assert.Equal(Text.IndexOf("3f8a", StringComparison.Ordinal), match.Start);
    }

    [Fact]
    public void Repeated_texts_without_any_pattern_stay_without_matches()
    {
        var set = new PatternSet<string>([("3f8a6b2c1d4e5f60", "android_id", false)]);
        const string userAgent = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile";

        for (var i = 0; i < 3; i++)
        {
            Assert.Empty(set.Find(userAgent, static (_, _) => true, static tag => tag));
        }

        Assert.Single(set.Find(userAgent + " 3f8a6b2c1d4e5f60", static (_, _) => true, static tag => tag));
    }
}
