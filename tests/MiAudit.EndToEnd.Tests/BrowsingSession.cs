using System.Net;
using CsvHelper;
using Microsoft.Playwright;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// One audit, done once per test class: MiAudit runs with a device profile and a session label, headless Chromium
/// browses a news site (Sensors SDK, image), an article with a single-page route change (ajax), a search (beacon) and
/// a Xiaomi-style start page (gzip via CompressionStream), MiAudit is stopped, and <c>miaudit export</c> writes the CSV.
/// </summary>
public sealed class BrowsingSession : IAsyncLifetime
{
    public const string AndroidId = "3f8a6b2c1d4e5f60";
    public const string SessionLabel = "chromium e2e";
    public const string SearchTerm = "privacy audit";

    public static readonly string HomeUrl = $"https://{TelemetryOrigin.News}/";
    public static readonly string ArticleUrl = $"https://{TelemetryOrigin.News}/politics/article-42?ref=home";
    public static readonly string CommentsUrl = $"https://{TelemetryOrigin.News}/politics/article-42/comments";
    public static readonly string SearchUrl = $"https://{TelemetryOrigin.Search}/search?q=privacy+audit";
    public static readonly string BrowserHomeUrl = $"https://{TelemetryOrigin.BrowserHome}/";

    private readonly TestCertificates _originCertificates = new();
    private TelemetryOrigin? _origin;
    private MiAuditProcess? _proxy;

    public TemporaryDirectory Work { get; } = new("miaudit-e2e");

    public Dictionary<string, string> RenderedTitles { get; } = [];

    public string NextHopProtocol { get; private set; } = "";

    public List<Dictionary<string, string>> Csv { get; } = [];

    public string CsvText { get; private set; } = "";

    public string ProxyOutput => _proxy?.Output ?? "";

    public string Database => Work.File("miaudit.db");

    public async Task InitializeAsync()
    {
        try
        {
            await RunAuditAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"the browser audit failed: {e.Message}\n--- MiAudit output ---\n{ProxyOutput}\n--- CSV ---\n{CsvText}", e);
        }
    }

    private async Task RunAuditAsync()
    {
        _origin = await TelemetryOrigin.StartAsync(_originCertificates);
        File.WriteAllText(Work.File("origin-ca.pem"), _originCertificates.AuthorityPem);
        File.WriteAllText(Work.File("phone.yaml"), $"name: e2e phone\nidentifiers:\n  android_id: {AndroidId}\nattributes:\n  model: Redmi Note 8 Pro\n");

        // Every name goes to the one loopback origin: nothing can leave the machine, whatever the page asks for.
        _proxy = MiAuditProcess.Start(Work.Path,
        [
            "run", "--listen", "127.0.0.1:0", "--allow-loopback-upstream", "--map-host", $"*=127.0.0.1:{_origin.Origin.HttpsPort}",
            "--upstream-ca", Work.File("origin-ca.pem"), "--store", "all", "--session-label", SessionLabel,
            "--device-profile", Work.File("phone.yaml"), "--certs-dir", Work.File("certs"),
        ]);
        var proxyEndPoint = await _proxy.WaitForListeningAsync();

        await using (var chromium = await ChromiumBrowser.LaunchAsync(proxyEndPoint, Work.File("certs/miaudit-ca.pem")))
        {
            var page = await (await chromium.Browser.NewContextAsync()).NewPageAsync();
            await BrowseAsync(page);
        }

        Assert.Equal(0, await _proxy.StopAsync());
        var export = await MiAuditProcess.RunAsync(Work.Path, "export", "--format", "csv", "--out", Work.File("findings.csv"));
        Assert.True(export.ExitCode == 0, export.StdErr);
        CsvText = File.ReadAllText(Work.File("findings.csv"));
        using var csv = CsvReader.FromText(CsvText, new CsvReaderOptions());
        while (csv.Read())
        {
            Csv.Add(csv.Headers.ToDictionary(h => h, h => csv.GetString(h)));
        }
    }

    private async Task BrowseAsync(IPage page)
    {
        var origin = _origin!;
        await page.GotoAsync(HomeUrl);
        RenderedTitles[HomeUrl] = await page.TextContentAsync("#title") ?? "";
        await origin.WaitForHitsAsync(h => h.Any(x => x.Method == "GET"), "the image beacon of the home page");

        await page.ClickAsync("#article");
        await page.WaitForSelectorAsync("#title[data-route=comments]");
        RenderedTitles[ArticleUrl] = await page.TextContentAsync("#title") ?? "";
        NextHopProtocol = await page.EvaluateAsync<string>("performance.getEntriesByType('navigation')[0].nextHopProtocol");
        await origin.WaitForHitsAsync(h => h.Count(x => x.Host == TelemetryOrigin.SensorsCollector && x.Method == "POST") >= 2, "the ajax page views of the article and its route change");

        var posts = origin.Hits.Count(x => x.Method == "POST");
        await page.GotoAsync(SearchUrl);
        RenderedTitles[SearchUrl] = await page.TextContentAsync("#title") ?? "";
        await origin.WaitForHitsAsync(h => h.Count(x => x.Method == "POST") > posts, "the beacon of the search page");

        await page.GotoAsync(BrowserHomeUrl);
        await page.WaitForSelectorAsync("#status:text('sent')");
        RenderedTitles[BrowserHomeUrl] = await page.TextContentAsync("#title") ?? "";
        await origin.WaitForHitsAsync(h => h.Any(x => x.Host == TelemetryOrigin.XiaomiCollector), "the Xiaomi-style upload");
    }

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_origin is not null)
        {
            await _origin.DisposeAsync();
        }

        _originCertificates.Dispose();
        Work.Dispose();
    }
}

/// <summary>The browser audit is run once and shared by every test class that reads its results.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserAudit : ICollectionFixture<BrowsingSession>
{
    public const string Name = "browser audit";
}
