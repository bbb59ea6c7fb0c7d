using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// The web UI of the real <c>miaudit run</c> in headless Chromium: flows arrive without a reload, a value that exists
/// only inside base64(gzip(JSON)) finds its flow, a flow's decoding path is shown, hostile captured markup never runs,
/// and nothing is served without the token.
/// </summary>
public sealed partial class WebUiTests : IAsyncLifetime
{
    private const string Hidden = "only-in-a-decoded-layer-7f3a";
    private readonly TestCertificates _certificates = new();
    private readonly TemporaryDirectory _work = new("miaudit-ui");
    private TlsOrigin _origin = null!;

    public async Task InitializeAsync()
    {
        _origin = await TlsOrigin.StartAsync(_certificates.CreateServerCertificate(TlsOrigin.HostName));
        File.WriteAllText(_work.File("origin-ca.pem"), _certificates.AuthorityPem);
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _certificates.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task Flows_arrive_live_decoded_values_are_searchable_hostile_markup_stays_text_and_the_token_is_required()
    {
        await using var proxy = MiAuditProcess.Start(_work.Path,
        [
            "run", "--listen", "127.0.0.1:0", "--ui", "127.0.0.1:0", "--store", "all", "--allow-loopback-upstream",
            "--map-host", $"*=127.0.0.1:{_origin.HttpsPort}", "--upstream-ca", _work.File("origin-ca.pem"), "--certs-dir", _work.File("certs"),
        ]);
        var endPoint = await proxy.WaitForListeningAsync();
        await proxy.WaitForOutputAsync("Web UI: http://");
        var url = UiUrl().Match(proxy.Output).Value;
        var root = new Uri(url).GetLeftPart(UriPartial.Authority);

        // No token, a wrong token, a forged cookie: 401, for the page and the API alike.
        using (var anonymous = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(root + "/")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(root + "/api/flows")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(root + "/?token=0123456789abcdef0123456789abcdef")).StatusCode);
            using var forged = new HttpRequestMessage(HttpMethod.Get, root + "/api/flows");
            forged.Headers.Add("Cookie", "miaudit_ui=0123456789abcdef0123456789abcdef");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(forged)).StatusCode);
        }

        await using var chromium = await ChromiumBrowser.LaunchAsync(null, null);
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1500, Height = 900 } });
        var violations = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) violations.Add(message.Text); };
        await page.GotoAsync(url);
        Assert.DoesNotContain("token=", page.Url); // moved into the cookie, out of the address bar and history
        await page.WaitForSelectorAsync("#live.on");

        using var client = ProxyClient(endPoint);
        var json = "{\"event\":\"$pageview\",\"properties\":{\"$url\":\"https://news.example/" + Hidden + "\"}}";
        var packed = Convert.ToBase64String(Gzip(Encoding.UTF8.GetBytes(json)));
        (await client.PostAsync($"https://{TlsOrigin.HostName}/echo/sa.gif", new FormUrlEncodedContent([new("data_list", packed), new("gzip", "1")]))).EnsureSuccessStatusCode();
        const string Markup = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";
        using (var hostile = new HttpRequestMessage(HttpMethod.Post, $"https://{TlsOrigin.HostName}/echo/{Uri.EscapeDataString("<svg onload=window.__pwned=3>")}?q={Uri.EscapeDataString(Markup)}"))
        {
            hostile.Headers.TryAddWithoutValidation("X-Evil", Markup);
            hostile.Content = new StringContent($"{{\"html\":\"{Markup.Replace("\"", "\\\"")}\"}}", Encoding.UTF8, "application/json");
            (await client.SendAsync(hostile)).EnsureSuccessStatusCode();
        }

        // Both arrive in the open page: no reload.
        // (Locators, not WaitForFunction: the page's CSP forbids the eval that would need.)
        await page.Locator("#flows tbody tr").Nth(1).WaitForAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Screenshot("ui-flows.png") });
        var times = await page.Locator("#flows tbody tr td:first-child").AllInnerTextsAsync();
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times); // newest first, whatever order they were stored in

        // A value that is only inside base64(gzip(JSON)) finds its flow.
        await page.FillAsync("input[name=q]", Hidden);
        await page.ClickAsync("#filters button[type=submit]");
        await page.Locator("#notice", new() { HasText = "flows whose request holds" }).WaitForAsync();
        Assert.Equal(1, await page.Locator("#flows tbody tr").CountAsync());
        Assert.Contains($"q={Hidden}", page.Url); // the search is in the address: it can be bookmarked
        await page.ClickAsync("#flows tbody tr");
        await page.WaitForSelectorAsync("#detail h3");
        var decoded = await page.Locator("#detail table tr", new() { HasText = Hidden }).First.InnerTextAsync();
        Assert.Contains("body.form[data_list] → base64 → gzip → json", decoded);
        await page.ScreenshotAsync(new() { Path = Screenshot("ui-flow-detail.png") });

        // The hostile flow, opened and shown in every view, runs nothing: its markup is text on the page.
        await page.GotoAsync(root + "/?q=__pwned");
        await page.Locator("#notice", new() { HasText = "flows whose request holds" }).WaitForAsync();
        await page.ClickAsync("#flows tbody tr");
        await page.WaitForSelectorAsync("#detail h3");
        foreach (var tab in await page.Locator("#detail .tabs button").AllAsync())
        {
            await tab.ClickAsync();
        }

        Assert.True(await page.EvaluateAsync<bool>("window.__pwned === undefined"), "captured markup ran in the UI");
        Assert.Contains(Markup, await page.Locator("#detail").InnerTextAsync());
        Assert.Equal(0, await page.Locator("#detail img, #detail script, #detail svg, #flows img, #flows svg").CountAsync());

        // Sessions compared: the telemetry endpoint's count links to the flow behind it.
        await page.ClickAsync("#to-compare");
        var count = page.Locator("#comparison tbody tr", new() { HasText = "origin.test" }).Locator("a").First;
        Assert.Equal("1", await count.InnerTextAsync());
        await count.ClickAsync();
        await page.Locator("#flows tbody tr").First.WaitForAsync();
        Assert.Equal(1, await page.Locator("#flows tbody tr").CountAsync());
        Assert.Contains("/echo/sa.gif", await page.Locator("#flows tbody tr").InnerTextAsync());
        Assert.Contains("site=origin.test", page.Url);
        Assert.Empty(violations);
    }

    /// <summary>Into docs/images with MIAUDIT_UPDATE_SCREENSHOTS=1 (look at them before committing), else beside the test's files.</summary>
    private string Screenshot(string name) => Environment.GetEnvironmentVariable("MIAUDIT_UPDATE_SCREENSHOTS") == "1"
        ? Path.Combine(RepositoryPaths.Root, "docs", "images", name)
        : _work.File(name);

    private HttpClient ProxyClient(IPEndPoint endPoint)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(_work.File("certs/miaudit-ca.pem"));
        return new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://{endPoint}"),
            SslOptions = { RemoteCertificateValidationCallback = InProcessProxy.TrustsOnly(ca) },
        });
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}")]
    private static partial Regex UiUrl();
}
