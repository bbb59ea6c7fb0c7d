using System.Net;
using System.Net.Http;
using System.Text;
using MiAudit.Flows;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>
/// Requests that MiAudit's HTTP server answers itself, before forwarding, are on the record: each is a flow with the
/// status the client got, why, and the request as far as it was read. URLs of the length real sites use pass.
/// </summary>
public class RejectedRequestTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Theory]
    [InlineData("HTTP/1.1")]
    [InlineData("HTTP/2")]
    public async Task A_16_KB_url_is_forwarded_whole(string version)
    {
        var query = "?q=" + new string('a', 16 * 1024) + "&case=long" + version;
        using var client = env.Client(version == "HTTP/2" ? HttpVersion.Version20 : HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);
        using var response = await client.GetAsync(env.Https("/echo" + query));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == query);
        Assert.Equal(200, flow.StatusCode);
        Assert.Equal(version, flow.HttpVersion);
    }

    [Fact]
    public async Task A_request_line_over_the_limit_is_a_rejected_flow()
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        var target = $"http://{TlsOrigin.HostName}:{env.Origin.HttpPort}/echo?q={new string('b', 70 * 1024)}";
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: {TlsOrigin.HostName}:{env.Origin.HttpPort}\r\n\r\n");
        var head = await connection.ReadHeadAsync();

        Assert.StartsWith("HTTP/1.1 414", head);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Error?.Kind == FlowError.RequestRejected && f.StatusCode == 414);
        Assert.Contains("414", flow.Error!.Message);
    }

    [Fact]
    public async Task An_http2_path_over_the_limit_is_answered_414_and_a_rejected_flow()
    {
        // Before: Kestrel reset the connection (COMPRESSION_ERROR) and nothing was on the record.
        using var client = env.Client(HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        var query = "?q=" + new string('d', 70 * 1024) + "&case=h2-long";
        using var response = await client.GetAsync(env.Https("/echo" + query));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == query);
        Assert.Equal(FlowError.RequestRejected, flow.Error?.Kind);
        Assert.Equal(414, flow.StatusCode);
        Assert.Equal("HTTP/2", flow.HttpVersion);
        Assert.Contains("--max-request-line", flow.Error!.Message);
    }

    [Fact]
    public async Task Raw_utf8_in_the_target_is_a_rejected_flow_whose_reason_holds_the_line_as_read()
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        var authority = $"{TlsOrigin.HostName}:{env.Origin.HttpPort}";
        await connection.Stream.WriteAsync(Encoding.UTF8.GetBytes($"GET http://{authority}/echo/caf\u00e9 HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
        var head = await connection.ReadHeadAsync();

        // Kestrel stops at the request line: nothing of it is parsed, so the reason (escaped) is what was read.
        Assert.StartsWith("HTTP/1.1 400", head);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Error?.Kind == FlowError.RequestRejected && f.Error.Message.Contains("/echo/caf\\xC3\\xA9"));
        Assert.Equal(400, flow.StatusCode);
    }

    [Fact]
    public async Task Too_many_header_fields_are_a_rejected_flow_with_the_fields_read()
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        var authority = $"{TlsOrigin.HostName}:{env.Origin.HttpPort}";
        var fields = string.Concat(Enumerable.Range(0, ProxyLimits.MaxRequestHeaderCount + 10).Select(i => $"X-Field-{i}: {i}\r\n"));
        await connection.SendAsync($"GET http://{authority}/echo?case=fields HTTP/1.1\r\nHost: {authority}\r\nX-Case: fields\r\n{fields}\r\n");
        var head = await connection.ReadHeadAsync();

        Assert.StartsWith("HTTP/1.1 431", head);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Error?.Kind == FlowError.RequestRejected && f.StatusCode == 431);
        Assert.Equal("fields", flow.RequestHeader("x-case"));
        Assert.Equal("/echo", flow.Path);
    }

    [Fact]
    public async Task A_rejected_request_inside_a_tunnel_names_the_tunnel_host()
    {
        using var client = env.Client(HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);
        var query = "?q=" + new string('c', 70 * 1024) + "&case=tunnel";
        using var response = await client.GetAsync(env.Https("/echo" + query, "rejected.origin.test"));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Error?.Kind == FlowError.RequestRejected && f.Host == "rejected.origin.test");
        Assert.Equal(FlowTransport.InterceptedTls, flow.Transport);
        Assert.Equal("https", flow.Scheme);
    }

    [Fact]
    public async Task An_encoded_nul_in_the_path_inside_a_tunnel_has_a_row()
    {
        using var client = env.Client(HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);
        using var response = await client.GetAsync(env.Https("/echo/%00nul?case=nul-tunnel"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == "?case=nul-tunnel");
        Assert.Equal(FlowError.RequestRejected, flow.Error?.Kind);
        Assert.Equal(400, flow.StatusCode);
        Assert.Equal("/echo/%00nul", flow.Path);
        Assert.Equal(FlowTransport.InterceptedTls, flow.Transport);
    }

    [Theory]
    [InlineData("/echo/a b", "0x20")]
    [InlineData("/echo/a\tb", "0x09")]
    [InlineData("/echo/a\u007fb", "0x7F")]
    [InlineData("/echo/a#b", "0x23")]
    public async Task An_http2_path_with_bytes_no_request_line_can_carry_is_answered_400_and_a_rejected_flow(string path, string named)
    {
        // Before: forwarded as if valid (a space split an HTTP/1.1 origin's request line). Non-ASCII never gets here:
        // Kestrel resets that stream itself (docs/security.md).
        var query = "?case=h2-byte-" + named;
        var result = await NodeHttp2Client.RunAsync(env, "GET", path + query);

        Assert.Equal(400, result.GetProperty("status").GetInt32());
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Error?.Kind == FlowError.RequestRejected && f.Url.Contains(query, StringComparison.Ordinal));
        Assert.Equal(400, flow.StatusCode);
        Assert.Equal("HTTP/2", flow.HttpVersion);
        Assert.Contains(named, flow.Error!.Message);
    }
}
