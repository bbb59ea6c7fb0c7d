using MiAudit.Storage;
using MiAudit.Storage.Reading;
using Xunit.Abstractions;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// The acceptance test: real Chromium, the real Sensors Analytics SDK, the real miaudit binary, the exported CSV.
/// Failures show MiAudit's output and the CSV.
/// </summary>
[Collection(BrowserAudit.Name)]
public class ChromiumAuditTests
{
    private readonly BrowsingSession _session;

    public ChromiumAuditTests(BrowsingSession session, ITestOutputHelper output)
    {
        _session = session;
        output.WriteLine("--- MiAudit output ---");
        output.WriteLine(session.ProxyOutput);
        output.WriteLine("--- exported CSV ---");
        output.WriteLine(session.CsvText);
    }

    private IEnumerable<Dictionary<string, string>> Rows(string rule) => _session.Csv.Where(r => r["rule"] == rule);

    [Fact]
    public void Pages_render_correctly_through_the_interception()
    {
        Assert.Equal("Daily News", _session.RenderedTitles[BrowsingSession.HomeUrl]);
        Assert.Equal("Article 42", _session.RenderedTitles[BrowsingSession.ArticleUrl]);
        Assert.Equal($"Results for {BrowsingSession.SearchTerm}", _session.RenderedTitles[BrowsingSession.SearchUrl]);
        Assert.Equal("Browser home", _session.RenderedTitles[BrowsingSession.BrowserHomeUrl]);
    }

    [Fact]
    public void Chromium_and_miaudit_speak_http2()
    {
        Assert.Equal("h2", _session.NextHopProtocol);
        using var db = AuditDatabase.Open(_session.Database, readOnly: true);
        var pageLoads = new AuditQueries(db).Flows(new FindingFilter { Host = TelemetryOrigin.News }).ToList();
        Assert.NotEmpty(pageLoads);
        Assert.All(pageLoads, f => Assert.Equal("HTTP/2", f.Flow.HttpVersion));
    }

    [Fact]
    public void Every_sensors_send_type_is_caught_at_the_endpoint()
    {
        var endpoint = Rows("sensors-analytics-endpoint").Where(r => r["host"] == TelemetryOrigin.SensorsCollector).ToList();

        Assert.Contains(endpoint, r => r["method"] == "GET" && r["url"].Contains("/sa.gif?project=default&data=")); // image
        Assert.True(endpoint.Count(r => r["method"] == "POST") >= 3, "ajax and beacon uploads"); // ajax (2 page views) + beacon
        Assert.All(_session.Csv, r => Assert.Equal(BrowsingSession.SessionLabel, r["session"]));
    }

    [Theory]
    [InlineData("home (image)", "query[data] → base64 → json.properties.$url")]
    [InlineData("article (ajax)", "body.form[data] → base64 → json.properties.$url")]
    [InlineData("search (beacon)", "body.form[data] → base64 → json.properties.$url")]
    public void Each_visited_page_leaks_to_the_collector_with_its_decoding_path(string page, string leafPath)
    {
        var url = page switch
        {
            "home (image)" => BrowsingSession.HomeUrl,
            "article (ajax)" => BrowsingSession.ArticleUrl,
            _ => BrowsingSession.SearchUrl,
        };

        Assert.Contains(Rows("visited-url-leak"), r => r["value"] == url && r["leaf_path"] == leafPath
            && r["host"] == TelemetryOrigin.SensorsCollector && r["transforms"] == "base64 → json" && r["severity"] == "high");
    }

    [Fact]
    public void The_single_page_route_change_is_caught_as_a_page_of_the_visited_site()
    {
        Assert.Contains(Rows("visited-url-leak"), r => r["value"] == BrowsingSession.CommentsUrl && r["matched_as"].Contains("visited site"));
    }

    [Fact]
    public void The_search_term_leaks_to_the_collector()
    {
        Assert.Contains(Rows("search-term-leak"), r => r["value"] == BrowsingSession.SearchTerm && r["host"] == TelemetryOrigin.SensorsCollector);
    }

    [Fact]
    public void The_xiaomi_style_upload_is_caught_through_gzip_and_base64()
    {
        var xiaomi = _session.Csv.Where(r => r["host"] == TelemetryOrigin.XiaomiCollector).ToList();

        Assert.Contains(xiaomi, r => r["rule"] == "visited-url-leak" && r["value"] == BrowsingSession.BrowserHomeUrl
            && r["leaf_path"] == "body.form[data_list] → base64 → gzip → json[0].properties.url → base64");
        Assert.Contains(xiaomi, r => r["rule"] == "device-identifier" && r["value"] == BrowsingSession.AndroidId && r["matched_as"] == "sha256 of android_id");
        Assert.Contains(xiaomi, r => r["rule"] == "xiaomi-telemetry-host");
        Assert.Contains(xiaomi, r => r["rule"] == "sensors-analytics-endpoint");
    }

    [Fact]
    public void Ordinary_first_party_page_loads_produce_no_url_leak()
    {
        string[] firstParty = [TelemetryOrigin.News, TelemetryOrigin.Search, TelemetryOrigin.BrowserHome];

        Assert.DoesNotContain(_session.Csv, r => r["category"] == "url-leak" && firstParty.Contains(r["host"]));
    }
}
