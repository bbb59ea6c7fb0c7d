using MiAudit.Flows;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MiAudit.Detection.Tests.Detectors;

public class UrlLeakDetectorTests
{
    private const string Article = "https://news.example.com/politics/article-42?ref=home";

    [Fact]
    public void A_visited_url_in_a_js_beacon_is_a_leak_with_its_decoding_path()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Article);

        var findings = engine.Analyze(FlowBuilder.Get($"https://sa.tracker.example.net/sa.gif?project=p&{SensorsWire.JsTrackData(SensorsWire.PageView(Article))}"));

        var leak = Assert.Single(findings, f => f.RuleId == "visited-url-leak" && f.LeafPath.EndsWith("$url"));
        Assert.Equal(Article, leak.Value);
        Assert.Equal("query[data] → base64 → json.properties.$url", leak.LeafPath);
        Assert.Equal("high", leak.Severity.ToString().ToLowerInvariant());
        Assert.StartsWith("visited URL (navigation", leak.MatchedAs);
        Assert.Contains(Article, leak.Snippet);
    }

    [Fact]
    public void A_leak_is_one_finding_whose_value_is_the_url_sent_not_other_visits_of_the_path()
    {
        // Five visits of one path with different queries; the beacon carries a sixth query. Before, it got five
        // findings whose values were ?ref=home … ?ref=run3, URLs it never sent.
        var engine = TestDevice.Engine();
        foreach (var query in new[] { "home", "run1", "run2", "run3" })
        {
            engine.Navigate($"https://news.example.com/politics/article-42?ref={query}");
        }

        const string sent = "https://news.example.com/politics/article-42?ref=run4";
        var findings = engine.Analyze(FlowBuilder.Post("https://t.tracker.example.net/e").Body($$"""{"page":"{{sent}}"}""", "application/json"));

        var leak = Assert.Single(findings, f => f.RuleId == "visited-url-leak");
        Assert.Equal(sent, leak.Value);
        Assert.Contains("without query", leak.MatchedAs);
        Assert.Contains("https://news.example.com/politics/article-42?ref=run3", leak.MatchedAs); // the visit it matched: the latest
    }

    [Fact]
    public void A_url_sent_up_to_the_visit_window_before_its_navigation_is_a_leak()
    {
        // Typed-URL telemetry reaches the proxy before the navigation it reports; 30 s is the default window.
        var navigation = FlowBuilder.Navigation(Article);
        var (inWindow, tooEarly) = (TypedUrlEnding(navigation, TimeSpan.FromSeconds(10)), TypedUrlEnding(navigation, TimeSpan.FromSeconds(31)));

        var offline = TestDevice.Engine().AnalyzeAll([inWindow, tooEarly, navigation]).ToDictionary(r => r.Flow.Id, r => r.Analysis.Findings);

        Assert.Contains(offline[inWindow.Id], f => f.RuleId == "visited-url-leak" && f.Value == Article);
        Assert.DoesNotContain(offline[tooEarly.Id], f => f.RuleId == "visited-url-leak");

        // Live, the beacon was analysed before the visit was known; the re-check when it is learned finds the same.
        var live = TestDevice.Engine();
        Assert.DoesNotContain(live.Analyze(inWindow).Findings, f => f.RuleId == "visited-url-leak");
        Assert.True(live.ObserveRequest(navigation)); // something new was learned: recent flows are re-checked
        Assert.False(live.ObserveRequest(navigation));
        Assert.Equal(offline[inWindow.Id].Select(f => (f.RuleId, f.Value, f.LeafPath)), live.Analyze(inWindow).Findings.Select(f => (f.RuleId, f.Value, f.LeafPath)));
        Assert.DoesNotContain(live.Analyze(tooEarly).Findings, f => f.RuleId == "visited-url-leak");
    }

    [Fact]
    public void The_visit_window_can_be_closed()
    {
        var navigation = FlowBuilder.Navigation(Article);
        var engine = new DetectionEngine(TestDevice.Engine().Rules, visitWindow: TimeSpan.Zero);

        Assert.All(engine.AnalyzeAll([TypedUrlEnding(navigation, TimeSpan.FromSeconds(1)), navigation]),
            r => Assert.DoesNotContain(r.Analysis.Findings, f => f.RuleId == "visited-url-leak"));
    }

    /// <summary>A tracker request carrying the article's URL that finished <paramref name="before"/> the navigation started.</summary>
    private static Flow TypedUrlEnding(Flow navigation, TimeSpan before) =>
        FlowBuilder.Post("https://t.tracker.example.net/typed").From(navigation.ClientAddress).Body($$"""{"url":"{{Article}}"}""", "application/json").Build()
            with { StartedAt = navigation.StartedAt - before - TimeSpan.FromSeconds(1), CompletedAt = navigation.StartedAt - before };

    [Fact]
    public void The_exact_visit_wins_over_its_path_siblings()
    {
        var engine = TestDevice.Engine();
        engine.Navigate("https://news.example.com/politics/article-42?ref=home");
        engine.Navigate("https://news.example.com/politics/article-42?ref=run1");

        var findings = engine.Analyze(FlowBuilder.Post("https://t.tracker.example.net/e").Body($$"""{"page":"{{Article}}"}""", "application/json"));

        var leak = Assert.Single(findings, f => f.RuleId == "visited-url-leak");
        Assert.Equal(Article, leak.Value);
        Assert.StartsWith("visited URL (navigation", leak.MatchedAs);
    }

    [Fact]
    public void A_xiaomi_page_load_event_with_the_url_base64_in_json_is_a_leak()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Article);
        var events = new object[]
        {
            new { @event = "page_load_event_finish", properties = new { url = Convert.ToBase64String(Encoding.UTF8.GetBytes(Article)), miui_version = "V12.0.3" } },
        };

        var findings = engine.Analyze(FlowBuilder.Post("https://sa.api.intl.miui.com/sa?project=global_browser_mini&r=IN").Form(SensorsWire.AndroidGzip(events)));

        var leak = Assert.Single(findings, f => f.RuleId == "visited-url-leak");
        Assert.Equal("body.form[data_list] → base64 → gzip → json[0].properties.url → base64", leak.LeafPath);
        Assert.Contains(findings, f => f.RuleId == "xiaomi-telemetry-host");
    }

    [Fact]
    public void Variants_and_hashes_of_the_url_are_found()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Article);
        var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(Article)));
        var body = JsonSerializer.Serialize(new
        {
            a = "news.example.com/politics/article-42",
            b = md5.ToUpperInvariant(),
            c = Uri.EscapeDataString(Uri.EscapeDataString(Article)),
        });

        var findings = engine.Analyze(FlowBuilder.Post("https://t.tracker.example.net/c").Body(body, "application/json"));

        Assert.Contains(findings, f => f.LeafPath == "body → json.a" && f.MatchedAs.StartsWith("visited URL without scheme and query"));
        Assert.Contains(findings, f => f.LeafPath == "body → json.b" && f.MatchedAs.StartsWith("md5 of visited URL"));
        Assert.Contains(findings, f => f.LeafPath == "body → json.c → urldecode → urldecode" && f.MatchedAs.StartsWith("visited URL ("));
    }

    [Fact]
    public void First_party_requests_carrying_the_page_url_are_not_leaks()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Article);

        var findings = engine.Analyze(FlowBuilder.Get($"https://static.example.com/log?u={Uri.EscapeDataString(Article)}")
            .Header("Referer", Article));
        var sameSite = engine.Analyze(FlowBuilder.Get($"https://api.news.example.com/comments?page={Uri.EscapeDataString(Article)}"));

        Assert.DoesNotContain(findings.Concat(sameSite), f => f.Category == "url-leak" && f.RuleId != "referer-url-leak");
        Assert.DoesNotContain(sameSite, f => f.RuleId == "referer-url-leak");
    }

    [Fact]
    public void A_navigation_itself_is_not_a_leak()
    {
        var engine = TestDevice.Engine();

        Assert.Empty(engine.Navigate(Article));
        Assert.Empty(engine.Navigate(Article));
    }

    [Fact]
    public void The_referer_alone_is_a_separate_low_finding()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Article);

        var findings = engine.Analyze(FlowBuilder.Get("https://cdn.ads.example.net/pixel.gif").Header("Referer", Article));
        var originOnly = engine.Analyze(FlowBuilder.Get("https://cdn.ads.example.net/pixel.gif").Header("Referer", "https://news.example.com/"));

        var referer = Assert.Single(findings);
        Assert.Equal("referer-url-leak", referer.RuleId);
        Assert.Equal(Findings.Severity.Low, referer.Severity);
        Assert.Empty(originOnly);
    }

    [Fact]
    public void A_visited_url_with_parameters_appended_is_one_finding_not_two()
    {
        var engine = TestDevice.Engine();
        engine.Navigate(Article);

        var findings = engine.Analyze(FlowBuilder.Get($"https://t.tracker.example.net/c?u={Uri.EscapeDataString(Article + "&n=3")}"));

        var leak = Assert.Single(findings, f => f.RuleId == "visited-url-leak");
        Assert.Equal(Article + "&n=3", leak.Value); // what was sent; the visit it proves is named
        Assert.Contains(Article, leak.MatchedAs);
        Assert.Contains(Article + "&n=3", leak.Snippet);
    }

    [Fact]
    public void Urls_longer_than_a_visited_one_are_not_mistaken_for_it()
    {
        var engine = TestDevice.Engine();
        engine.Navigate("https://news.example.com/a");

        var findings = engine.Analyze(FlowBuilder.Get($"https://t.tracker.example.net/c?u={Uri.EscapeDataString("https://news.example.com/ab")}"));

        Assert.DoesNotContain(findings, f => f.MatchedAs.StartsWith("visited URL"));
    }

    [Fact]
    public void Pages_reached_without_a_navigation_on_a_visited_site_are_leaks_too()
    {
        var engine = TestDevice.Engine();
        engine.Navigate("https://spa.example.com/");

        var findings = engine.Analyze(FlowBuilder.Get($"https://sa.tracker.example.net/sa.gif?project=p&{SensorsWire.JsTrackData(SensorsWire.PageView("https://spa.example.com/route/two"))}"));
        var asset = engine.Analyze(FlowBuilder.Get($"https://img.proxy.example.net/?src={Uri.EscapeDataString("https://spa.example.com/logo.png")}"));

        Assert.Contains(findings, f => f.RuleId == "visited-url-leak" && f.Value == "https://spa.example.com/route/two" && f.MatchedAs.Contains("visited site"));
        Assert.Empty(asset);
    }

    [Fact]
    public void Same_site_referers_teach_single_page_app_routes()
    {
        var engine = TestDevice.Engine();
        engine.Navigate("https://spa.example.com/");
        engine.Observed(FlowBuilder.Get("https://spa.example.com/api/items").Header("Referer", "https://spa.example.com/items?sort=new").Build());

        var findings = engine.Analyze(FlowBuilder.Post("https://t.tracker.example.net/e").Body("""{"u":"spa.example.com/items?sort=new"}""", "application/json"));

        Assert.Contains(findings, f => f.RuleId == "visited-url-leak" && f.MatchedAs.Contains("same-site Referer"));
    }

    [Fact]
    public void Search_terms_are_tracked_and_found_elsewhere()
    {
        var engine = TestDevice.Engine();
        engine.Navigate("https://www.google.com/search?q=hiv+test+near+me&oq=hiv");
        engine.Navigate("https://search.example.org/search?q=divorce+lawyer");

        var findings = engine.Analyze(FlowBuilder.Post("https://sa.tracker.example.net/sa?project=p").Form(SensorsWire.JsTrackData(new
        {
            @event = "search",
            properties = new { search_word = "hiv test near me", used_searchengine = "google" },
        })));
        var other = engine.Analyze(FlowBuilder.Get("https://t.tracker.example.net/c?kw=Divorce%20Lawyer"));

        Assert.Contains(findings, f => f.RuleId == "search-term-leak" && f.Value == "hiv test near me" && f.LeafPath.EndsWith("search_word"));
        Assert.Contains(other, f => f.RuleId == "search-term-leak" && f.Value == "divorce lawyer");
    }

    [Fact]
    public void Histories_are_per_client()
    {
        var engine = TestDevice.Engine();
        engine.ObserveRequest(FlowBuilder.Navigation(Article, client: "192.168.1.77"));

        var findings = engine.Analyze(FlowBuilder.Get($"https://t.tracker.example.net/c?u={Uri.EscapeDataString(Article)}").From("192.168.1.50"));

        Assert.DoesNotContain(findings, f => f.RuleId == "visited-url-leak");
    }
}
