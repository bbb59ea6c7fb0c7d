using System.Text.Json;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>curl through the proxy: a real third-party client, trusting MiAudit's CA the way a phone would.</summary>
public class CurlTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Theory]
    [InlineData("--http2", "HTTP/2")]
    [InlineData("--http1.1", "HTTP/1.1")]
    public async Task Curl_gets_the_origins_answer_over_the_requested_protocol_with_no_header_added(string protocolFlag, string protocol)
    {
        var (exitCode, stdout, stderr) = await Curl.RunAsync(
            "-sS", "-v", protocolFlag,
            "--proxy", env.Proxy.ProxyUri.ToString(),
            "--cacert", env.Proxy.Authority.CertificatePath,
            "-H", "X-Probe: curl",
            env.Https("/echo/curl"));

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"< {protocol} 200", stderr);
        var echo = JsonSerializer.Deserialize<EchoResponse>(stdout, EchoResponse.Json)!;
        Assert.Equal(["accept", "host", "user-agent", "x-probe"], echo.HeaderNames.Order());
        Assert.StartsWith("curl/", echo.Header("user-agent"));
    }

    [Fact]
    public async Task Curl_offering_only_http10_in_alpn_gets_its_answer()
    {
        // curl --http1.0 offers ALPN http/1.0 alone; MiAudit used to answer with an alert (it served h2 and
        // http/1.1 only), so the request failed only through MiAudit.
        var (exitCode, stdout, stderr) = await Curl.RunAsync(
            "-sS", "-v", "--http1.0", "--proxy", env.Proxy.ProxyUri.ToString(), "--cacert", env.Proxy.Authority.CertificatePath,
            env.Https("/echo/curl-http10"));

        Assert.True(exitCode == 0, stderr);
        var echo = JsonSerializer.Deserialize<EchoResponse>(stdout, EchoResponse.Json)!;
        Assert.Equal("HTTP/1.0", echo.Protocol);
    }

    [Fact]
    public async Task Curl_without_the_miaudit_ca_refuses_the_interception()
    {
        var (exitCode, _, stderr) = await Curl.RunAsync("-sS", "--proxy", env.Proxy.ProxyUri.ToString(), env.Https("/echo/curl-untrusted"));

        Assert.Equal(60, exitCode); // CURLE_PEER_FAILED_VERIFICATION: interception is visible to clients that do not trust the CA
        Assert.Contains("certificate", stderr);
    }
}
