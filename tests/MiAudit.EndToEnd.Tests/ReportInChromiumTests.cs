using System.Globalization;
using Microsoft.Playwright;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// The report of the browser audit, written by the real miaudit binary and opened in headless Chromium without a
/// proxy or name resolution: it must render offline, and the numbers on the page must be those of the exported CSV.
/// A screenshot is kept in TestResults/artifacts for a person to look at.
/// </summary>
[Collection(BrowserAudit.Name)]
public class ReportInChromiumTests(BrowsingSession session)
{
    public static readonly string Artifacts = Path.Combine(RepositoryPaths.Root, "TestResults", "artifacts");

    [Fact]
    public async Task The_html_report_opens_offline_and_shows_the_audit_numbers()
    {
        var reportFile = session.Work.File("report.html");
        var result = await MiAuditProcess.RunAsync(session.Work.Path, "report", "--db", session.Database, "--out", reportFile);
        Assert.True(result.ExitCode == 0, result.StdErr);

        await using var chromium = await ChromiumBrowser.LaunchAsync(proxy: null, caPemFile: null);
        var page = await (await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } })).NewPageAsync();
        var fetched = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith("file:", StringComparison.Ordinal))
            {
                fetched.Add(request.Url);
            }
        };
        await page.GotoAsync(new Uri(reportFile).AbsoluteUri);

        var flows = session.Csv.Select(r => r["flow_id"]).Distinct().Count();
        Assert.Equal(flows.ToString("N0", CultureInfo.InvariantCulture), await page.TextContentAsync("#flagged-flows"));
        Assert.Equal(session.Csv.Count.ToString("N0", CultureInfo.InvariantCulture), await page.TextContentAsync("#findings-total"));
        Assert.Contains(BrowsingSession.SessionLabel, await page.TextContentAsync("#sessions"));
        var sites = await page.EvalOnSelectorAllAsync<string[]>("#destinations tbody tr", "rows => rows.map(r => r.dataset.site)");
        Assert.Contains("datasink.test", sites); // the registrable domain of sa.datasink.test
        Assert.True(await page.Locator("section.rule#rule-visited-url-leak").IsVisibleAsync());
        Assert.True(await page.Locator("svg.timeline rect").CountAsync() > 0, "the timeline has bars");

        // The evidence links work in the browser: following one lands on the flow it names.
        var link = page.Locator("#rule-visited-url-leak a[href^='#flow-']").First;
        var target = await link.GetAttributeAsync("href");
        await link.ClickAsync();
        Assert.EndsWith(target!, page.Url);
        Assert.True(await page.Locator($"article{target}").IsVisibleAsync());

        // Masked by default: the Android ID of the profile, and the hash the browser sent of it, are nowhere on the page.
        var content = await page.ContentAsync();
        Assert.DoesNotContain(BrowsingSession.AndroidId, content);
        Assert.DoesNotContain(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(BrowsingSession.AndroidId))), content);
        Assert.Empty(fetched);

        Directory.CreateDirectory(Artifacts);
        await page.GotoAsync(new Uri(reportFile).AbsoluteUri);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "report.png"), FullPage = false });
        File.Copy(reportFile, Path.Combine(Artifacts, "report.html"), overwrite: true);
    }

    [Fact]
    public async Task The_markdown_report_has_the_same_numbers()
    {
        var reportFile = session.Work.File("report.md");
        var result = await MiAuditProcess.RunAsync(session.Work.Path, "report", "--db", session.Database, "--out", reportFile);
        Assert.True(result.ExitCode == 0, result.StdErr);

        var markdown = await File.ReadAllTextAsync(reportFile);
        var flows = session.Csv.Select(r => r["flow_id"]).Distinct().Count();
        Assert.Contains($"**{flows:N0}** flagged flows, **{session.Csv.Count:N0}** findings", markdown);
        Assert.StartsWith("# MiAudit audit report", markdown);
    }
}
