using System.Net;
using System.Text.Json;
using MiAudit.Proxy.Tls;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>
/// MiAudit offers the client what the origin chose from the client's ALPN offer, so an HTTP/2-capable client meets an
/// HTTP/1.1-only origin as HTTP/1.1 (names with their case, no h2-only fields), and an h2 origin as HTTP/2.
/// </summary>
public class AlpnMirroringTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    private string Https11(string path) => $"https://{TlsOrigin.HostName}:{env.Origin.Https11Port}{path}";

    [Fact]
    public async Task An_http2_capable_client_reaches_an_http11_only_origin_as_http11_with_its_header_case()
    {
        // curl offers h2 and http/1.1 and speaks whichever it is given (HttpClient through a proxy never offers h2
        // unless it must, so it would not show the difference).
        var (exitCode, stdout, stderr) = await Curl.RunAsync(
            "-sS", "-v", "--http2", "--proxy", env.Proxy.ProxyUri.ToString(), "--cacert", env.Proxy.Authority.CertificatePath,
            "-H", "X-Mixed-Case: kept", Https11("/echo/alpn-h1"));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("< HTTP/1.1 200 OK", stderr); // was HTTP/2: MiAudit offered h2 before asking the origin
        Assert.DoesNotContain("< HTTP/2", stderr);
        var echo = JsonSerializer.Deserialize<EchoResponse>(stdout, EchoResponse.Json)!;
        Assert.Equal("HTTP/1.1", echo.Protocol);
        Assert.Contains(echo.Headers, h => h[0] == "X-Mixed-Case"); // over h2 curl sends x-mixed-case
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/alpn-h1");
        Assert.Equal("HTTP/1.1", flow.HttpVersion);
        Assert.NotEqual("h2", flow.ClientTls!.ApplicationProtocol); // Kestrel's HTTP/1.1-only listener answers with no ALPN
    }

    [Fact]
    public async Task An_h2_origin_gives_curl_h2()
    {
        var (exitCode, _, stderr) = await Curl.RunAsync(
            "-sS", "-v", "--http2", "--proxy", env.Proxy.ProxyUri.ToString(), "--cacert", env.Proxy.Authority.CertificatePath,
            env.Https("/echo/alpn-h2-curl"));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("ALPN: server accepted h2", stderr);
        Assert.Contains("< HTTP/2 200", stderr);
    }

    [Fact]
    public async Task An_http2_origin_still_meets_http2_clients_as_http2()
    {
        using var client = env.Client(HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower);
        using var response = await client.GetAsync(env.Https("/echo/alpn-h2"));

        Assert.Equal(HttpVersion.Version20, response.Version);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/alpn-h2");
        Assert.Equal("h2", flow.ClientTls!.ApplicationProtocol);
    }

    [Fact]
    public async Task An_origin_that_cannot_be_reached_still_gets_its_failure_recorded()
    {
        // Nothing listens on the port: the origin cannot be asked, MiAudit offers what it serves, and the request is
        // answered with the forwarder's error and stored with it, as before.
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var client = env.Client(HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower);
        using var response = await client.GetAsync($"https://{TlsOrigin.HostName}:{port}/alpn-unreachable");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/alpn-unreachable");
        Assert.NotNull(flow.Error);
    }

    [Theory]
    [InlineData(new[] { "h2", "http/1.1" }, true, new[] { "h2", "http/1.1" })]
    [InlineData(new[] { "h2", "http/1.1" }, false, null)] // without HTTP/2 only http/1.1 is left: nothing to ask
    [InlineData(new[] { "http/1.1" }, true, null)]
    [InlineData(new string[0], true, null)]
    [InlineData(new[] { "http/1.0" }, true, new[] { "http/1.0" })]
    [InlineData(new[] { "h2", "mqtt" }, false, new[] { "mqtt" })]
    public void What_is_asked_of_the_origin(string[] offer, bool http2, string[]? question) =>
        Assert.Equal(question, AlpnOffer.Question(offer, http2));

    [Theory]
    [InlineData(new[] { "h2", "http/1.1" }, "http/1.1", new[] { "http/1.1" })]
    [InlineData(new[] { "h2", "http/1.1" }, "h2", new[] { "h2" })]
    [InlineData(new[] { "h2", "http/1.1" }, "", null)] // the origin does no ALPN: nor does MiAudit
    [InlineData(new[] { "h2", "http/1.1" }, null, new[] { "h2", "http/1.1" })] // not known: what MiAudit serves
    [InlineData(new[] { "http/1.0" }, null, null)] // nothing served in common: no ALPN answer rather than an alert
    [InlineData(new[] { "http/1.0" }, "http/1.0", new[] { "http/1.0" })]
    public void What_the_client_is_offered(string[] offer, string? originChoice, string[]? answer) =>
        Assert.Equal(answer, AlpnOffer.ForClient(offer, http2: true, originChoice)?.Select(p => p.ToString()).ToArray());
}
