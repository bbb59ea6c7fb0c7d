using System.Net;
using System.Net.Http.Json;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>An auditing proxy must deliver exactly what the client sent: no added headers, no re-encoded targets.</summary>
public class FaithfulForwardingTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    private static readonly string[] AddedByTypicalProxies =
        ["traceparent", "tracestate", "request-id", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-prefix", "via", "forwarded"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_origin_sees_exactly_the_headers_the_client_sent(int major)
    {
        using var client = env.Client(new Version(major, 0), HttpVersionPolicy.RequestVersionExact);
        using var request = new HttpRequestMessage(HttpMethod.Post, env.Https("/echo/headers"))
        {
            Content = new StringContent("data=eyJhIjoxfQ%3D%3D", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (Linux; Android 10; K) MiAuditTest");
        request.Headers.TryAddWithoutValidation("Cookie", "a=1; b=2");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept as is");

        using var response = await client.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoResponse>(EchoResponse.Json);

        string[] sent = ["host", "user-agent", "cookie", "x-custom", "content-type", "content-length"];
        Assert.Equal(sent.Order(), echo!.HeaderNames.Order());
        Assert.Equal("a=1; b=2", echo.Header("cookie"));
        Assert.Equal("kept as is", echo.Header("x-custom"));
        Assert.Equal($"{TlsOrigin.HostName}:{env.Origin.HttpsPort}", echo.Header("host"));
        Assert.DoesNotContain(echo.HeaderNames, AddedByTypicalProxies.Contains);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Headers_that_proxies_commonly_drop_as_hop_by_hop_reach_the_origin(int major)
    {
        using var client = env.Client(new Version(major, major == 1 ? 1 : 0), HttpVersionPolicy.RequestVersionExact);
        using var request = new HttpRequestMessage(HttpMethod.Get, env.Https($"/echo/hop?v={major}"));
        request.Headers.TryAddWithoutValidation("Upgrade-Insecure-Requests", "1"); // every browser navigation, h1 and h2
        if (major == 1)
        {
            // Connection-specific on HTTP/1.1 only, and the origin is spoken to in HTTP/1.1 too.
            request.Headers.TryAddWithoutValidation("Connection", "keep-alive");
            request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
            request.Headers.TryAddWithoutValidation("TE", "trailers");
        }

        using var response = await client.SendAsync(request);
        var echo = (await response.Content.ReadFromJsonAsync<EchoResponse>(EchoResponse.Json))!;

        Assert.Equal("1", echo.Header("upgrade-insecure-requests"));
        if (major == 1)
        {
            Assert.Equal("keep-alive", echo.Header("connection"));
            Assert.Equal("timeout=5", echo.Header("keep-alive"));
            Assert.Equal("trailers", echo.Header("te"));
        }
    }

    [Fact]
    public async Task The_request_target_is_forwarded_byte_for_byte()
    {
        const string target = "/echo/%7Ea%2Fb%41/c;d?q=%41%2b&x=1+2&empty=&%E4%BD%A0=1";
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        await connection.SendAsync($"GET http://{TlsOrigin.HostName}:{env.Origin.HttpPort}{target} HTTP/1.1\r\nHost: {TlsOrigin.HostName}:{env.Origin.HttpPort}\r\nConnection: close\r\n\r\n");
        var response = System.Text.Encoding.UTF8.GetString(await connection.ReadToEndAsync());

        Assert.StartsWith("HTTP/1.1 200", response);
        var echo = System.Text.Json.JsonSerializer.Deserialize<EchoResponse>(RawHttpResponse.Split(response).Body, EchoResponse.Json);
        Assert.Equal(target, echo!.RawTarget);
        Assert.Equal(["host"], echo.HeaderNames); // Connection is hop-by-hop: it ends at the proxy
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_http10_request_reaches_the_origin_as_http10(bool inTunnel)
    {
        var authority = $"{TlsOrigin.HostName}:{env.Origin.HttpPort}";
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        if (inTunnel)
        {
            Assert.StartsWith("HTTP/1.1 200", await connection.ConnectAsync(authority));
        }

        await connection.SendAsync($"GET {(inTunnel ? "" : "http://" + authority)}/echo/ten HTTP/1.0\r\nHost: {authority}\r\n\r\n");
        var response = System.Text.Encoding.UTF8.GetString(await connection.ReadToEndAsync());

        var echo = System.Text.Json.JsonSerializer.Deserialize<EchoResponse>(RawHttpResponse.Split(response).Body, EchoResponse.Json);
        Assert.Equal("HTTP/1.0", echo!.Protocol);
    }

    [Fact]
    public async Task Absolute_form_http_requests_are_forwarded()
    {
        using var client = env.Client();
        using var response = await client.GetAsync(env.Http("/echo/plain?z=9"));
        var echo = await response.Content.ReadFromJsonAsync<EchoResponse>(EchoResponse.Json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/echo/plain?z=9", echo!.RawTarget);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/plain");
        Assert.Equal(Flows.FlowTransport.PlainHttp, flow.Transport);
        Assert.Equal("http", flow.Scheme);
        Assert.Equal(env.Http("/echo/plain?z=9"), flow.Url);
    }

    [Fact]
    public async Task Upstream_status_codes_and_bodies_pass_through_unchanged()
    {
        using var client = env.Client();
        using var response = await client.GetAsync(env.Https("/status/418"));

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("status 418", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Server"), "the proxy must not add a Server header the origin did not send");
    }
}
