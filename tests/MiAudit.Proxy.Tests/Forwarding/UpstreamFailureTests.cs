using System.Net;
using System.Net.Sockets;
using MiAudit.Proxy.Forwarding;
using MiAudit.Testing;
using Yarp.ReverseProxy.Forwarder;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>When the server cannot be reached or trusted, the phone gets a page saying why, and the proxy carries on.</summary>
public class UpstreamFailureTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Fact]
    public async Task An_untrusted_server_certificate_answers_502_naming_the_host_and_reason()
    {
        // A second proxy that was not told to trust the origin's CA: verification must fail.
        await using var strict = await InProcessProxy.StartAsync();
        using var client = strict.CreateClient();
        using var response = await client.GetAsync(env.Https("/echo/strict"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.StartsWith("text/html", response.Content.Headers.ContentType!.ToString());
        Assert.Contains(TlsOrigin.HostName, body);
        Assert.Contains("not trusted", body);
        var flow = await strict.Flows.WaitForAsync(f => f.Path == "/echo/strict");
        Assert.Equal("upstream-certificate", flow.Error!.Kind);
        Assert.Equal(502, flow.StatusCode);
    }

    [Fact]
    public async Task Insecure_upstream_accepts_any_server_certificate()
    {
        await using var insecure = await InProcessProxy.StartAsync(options => options.InsecureUpstream = true);
        using var client = insecure.CreateClient();
        using var response = await client.GetAsync(env.Https("/echo/insecure"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_refused_connection_answers_502_and_the_proxy_keeps_serving()
    {
        var closedPort = FreePort();
        using var client = env.Client();
        using var refused = await client.GetAsync($"https://{TlsOrigin.HostName}:{closedPort}/");
        var body = await refused.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("refused", body);
        Assert.Contains($"{TlsOrigin.HostName}:{closedPort}", body);

        using var next = await client.GetAsync(env.Https("/echo/after-refusal"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task A_silent_server_answers_504()
    {
        using var client = env.Client();
        using var response = await client.GetAsync(env.Https("/slow?ms=6000"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/slow");
        Assert.Equal("upstream-timeout", flow.Error!.Kind);
    }

    [Theory]
    [InlineData(SocketError.HostNotFound, 502, "upstream-dns")]
    [InlineData(SocketError.ConnectionRefused, 502, "upstream-refused")]
    [InlineData(SocketError.TimedOut, 504, "upstream-timeout")]
    [InlineData(SocketError.NetworkUnreachable, 502, "upstream-network")]
    public void Socket_errors_are_classified_for_the_error_page(SocketError error, int status, string kind)
    {
        var failure = UpstreamFailure.Classify(ForwarderError.Request, new HttpRequestException("x", new SocketException((int)error)), "example.com:443");

        Assert.Equal(status, failure.StatusCode);
        Assert.Equal(kind, failure.Error.Kind);
        Assert.Contains("example.com:443", failure.Error.Message);
    }

    [Fact]
    public void A_client_that_went_away_gets_no_error_page()
    {
        var failure = UpstreamFailure.Classify(ForwarderError.RequestCanceled, new OperationCanceledException(), "example.com:443");
        Assert.True(failure.ClientGone);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
