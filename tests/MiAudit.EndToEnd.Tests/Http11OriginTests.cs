using System.Text.Json;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// Headless Chromium, which offers h2, loads a page from an HTTPS origin that speaks HTTP/1.1 only. Through MiAudit the
/// origin must see what Chromium sends it directly: an HTTP/1.1 request with Chromium's HTTP/1.1 header names, not an
/// HTTP/2 request translated by the proxy (lower-case names, Chromium's h2-only <c>priority</c>), which would make the
/// audit visible to the server.
/// </summary>
public sealed class Http11OriginTests : IAsyncLifetime
{
    private readonly TestCertificates _certificates = new();
    private readonly TemporaryDirectory _work = new("miaudit-h1-origin");
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
    public async Task Chromium_meets_an_http11_only_origin_as_http11_through_miaudit()
    {
        var proxy = MiAuditProcess.Start(_work.Path,
        [
            "run", "--listen", "127.0.0.1:0", "--allow-loopback-upstream", "--map-host", $"*=127.0.0.1:{_origin.Https11Port}",
            "--upstream-ca", _work.File("origin-ca.pem"), "--certs-dir", _work.File("certs"),
        ]);
        EchoResponse echo;
        await using (proxy)
        {
            var endPoint = await proxy.WaitForListeningAsync();
            await using var chromium = await ChromiumBrowser.LaunchAsync(endPoint, _work.File("certs/miaudit-ca.pem"));
            var page = await chromium.Browser.NewPageAsync();
            var response = await page.GotoAsync($"https://{TlsOrigin.HostName}:{_origin.Https11Port}/echo/chromium-h1");
            echo = JsonSerializer.Deserialize<EchoResponse>(await response!.TextAsync(), EchoResponse.Json)!;
        }

        Assert.Equal("HTTP/1.1", echo.Protocol);
        var names = echo.Headers.Select(h => h[0]).ToList();
        Assert.DoesNotContain("priority", names, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("User-Agent", names); // case-sensitive: as Chromium writes it on HTTP/1.1
        Assert.Contains("Upgrade-Insecure-Requests", names);
    }
}
