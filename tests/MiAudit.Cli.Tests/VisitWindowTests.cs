using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MiAudit.Storage;
using MiAudit.Storage.Reading;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// The visit window through the real proxy: telemetry carrying a URL before the browser navigates there is a leak
/// live, and <c>scan</c> over the database finds exactly what the live audit found, flow by flow and rule by rule.
/// </summary>
public class VisitWindowTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task Telemetry_sent_before_its_navigation_is_a_leak_live_and_in_scan()
    {
        var dir = env.WorkDirectory.File("before-navigation");
        var page = env.Https(CliEnvironment.NewsHost, "/html/typed?q=first");
        var never = "https://elsewhere.test/never-visited"; // a site the phone never opens
        await using (var proxy = await env.StartProxyAsync(dir))
        {
            using var client = proxy.CreateClient();
            await SendAsync(client, new Beacon(page, Form.Query, 0));  // the "typed URL" report first …
            await SendAsync(client, new Beacon(never, Form.Query, 1)); // … a URL the phone never opens …
            await Task.Delay(TimeSpan.FromSeconds(1));
            await NavigateAsync(client, page);                         // … then the navigation it reported
            Assert.Equal(0, await proxy.Process.StopAsync());
            Assert.Contains("visited-url-leak: ", proxy.Process.Output); // shown live, not only after a scan
        }

        var live = Findings(dir);
        var leak = Assert.Single(live, f => f.Rule == "visited-url-leak");
        Assert.Equal(page, leak.Value);
        Assert.DoesNotContain(live, f => f.Value.Contains("never-visited"));

        Assert.Equal(live, await ScanAsync(dir));
    }

    [Fact]
    public async Task Live_analysis_and_scan_agree_on_navigations_and_telemetry_in_any_order()
    {
        var pages = Enumerable.Range(0, 4).Select(i => env.Https(CliEnvironment.NewsHost, $"/html/p{i}?from=list")).ToArray();
        var step = Gen.OneOf(
            Gen.Choose(0, pages.Length - 1).Select(i => (Step)new Navigation(pages[i])),
            from i in Gen.Choose(0, pages.Length - 1)
            from form in Gen.Elements(Enum.GetValues<Form>())
            from n in Gen.Choose(0, 1_000_000) // tells the beacons apart
            select (Step)new Beacon(pages[i], form, n));
        var run = 0;

        Prop.ForAll(Arb.From(Gen.ListOf(step, 8).Where(s => s.OfType<Beacon>().Any())), steps =>
        {
            var dir = env.WorkDirectory.File($"mix-{Interlocked.Increment(ref run)}");
            var (live, scanned) = AuditAsync(dir, steps).GetAwaiter().GetResult();

            // Whatever came first (all within the 30 s window): a beacon leaks a page the phone opened, and, written out
            // rather than hashed, any page of a site it opened.
            var visited = steps.OfType<Navigation>().Select(n => n.Url).ToHashSet();
            var expected = steps.OfType<Beacon>().Where(b => visited.Contains(b.Page) || (b.Form != Form.Md5 && visited.Count > 0)).Select(b => (int?)b.N).Distinct().Order().ToList();
            var leaked = live.Where(f => f.Rule == "visited-url-leak").Select(f => f.Beacon).Distinct().Order().ToList();
            Assert.Equal(expected, leaked);
            Assert.Equal(live, scanned);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(4));
    }

    private async Task<(List<StoredFinding> Live, List<StoredFinding> Scanned)> AuditAsync(string dir, IEnumerable<Step> steps)
    {
        await using (var proxy = await env.StartProxyAsync(dir))
        {
            using var client = proxy.CreateClient();
            foreach (var step in steps)
            {
                await (step is Navigation navigation ? NavigateAsync(client, navigation.Url) : SendAsync(client, (Beacon)step));
            }

            Assert.Equal(0, await proxy.Process.StopAsync());
        }

        var live = Findings(dir);
        return (live, await ScanAsync(dir));
    }

    private static async Task NavigateAsync(HttpClient client, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Sec-Fetch-Mode", "navigate");
        request.Headers.Add("Sec-Fetch-Dest", "document");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();
    }

    /// <summary>A tracker request carrying a page URL: in the query, base64 JSON in a POST body, or its md5.</summary>
    private async Task SendAsync(HttpClient client, Beacon beacon)
    {
        var target = env.Https(CliEnvironment.TrackerHost, $"/echo/t?n={beacon.N}");
        using var request = beacon.Form switch
        {
            Form.Query => new HttpRequestMessage(HttpMethod.Get, $"{target}&u={Uri.EscapeDataString(beacon.Page)}"),
            Form.Base64Body => new HttpRequestMessage(HttpMethod.Post, target)
            {
                Content = new StringContent(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"typed_url\":\"{beacon.Page}\"}}"))),
            },
            _ => new HttpRequestMessage(HttpMethod.Get, $"{target}&h={Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(beacon.Page)))}"),
        };
        (await client.SendAsync(request)).EnsureSuccessStatusCode();
    }

    private static List<StoredFinding> Findings(string dir)
    {
        using var db = AuditDatabase.Open(Path.Combine(dir, AuditDatabase.DefaultFileName), readOnly: true);
        return new AuditQueries(db).Flows(new FindingFilter())
            .SelectMany(s => s.Findings.Select(f => new StoredFinding(s.Flow.Id, BeaconNumber(s.Flow.Query), f.RuleId, f.Value, f.LeafPath, f.MatchedAs)))
            .OrderBy(f => f.Flow).ThenBy(f => f.Rule).ThenBy(f => f.Path).ThenBy(f => f.Value, StringComparer.Ordinal)
            .ToList();
    }

    private static int? BeaconNumber(string query) =>
        System.Text.RegularExpressions.Regex.Match(query, @"[?&]n=(\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value) : null;

    private static async Task<List<StoredFinding>> ScanAsync(string dir)
    {
        var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(dir, "scan");
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("visit window 30 s", stdout); // the window the session was recorded with
        return Findings(dir);
    }

    public enum Form
    {
        Query,
        Base64Body,
        Md5,
    }

    private abstract record Step;

    private sealed record Navigation(string Url) : Step;

    private sealed record Beacon(string Page, Form Form, int N) : Step;

    private sealed record StoredFinding(Guid Flow, int? Beacon, string Rule, string Value, string Path, string MatchedAs);
}
