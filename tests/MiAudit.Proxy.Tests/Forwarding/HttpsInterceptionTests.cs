using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using MiAudit.Flows;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>HTTPS through CONNECT, decrypted by MiAudit and forwarded to a real TLS origin.</summary>
public class HttpsInterceptionTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Fact]
    public async Task Https_get_returns_the_origins_answer_and_is_recorded_as_a_flow()
    {
        using var client = env.Client();
        using var response = await client.GetAsync(env.Https("/html/hello?x=1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<h1 id=\"title\">hello</h1>", await response.Content.ReadAsStringAsync());

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/html/hello");
        Assert.Equal(FlowTransport.InterceptedTls, flow.Transport);
        Assert.Equal("GET", flow.Method);
        Assert.Equal(env.Https("/html/hello?x=1"), flow.Url);
        Assert.Equal(200, flow.StatusCode);
        Assert.Equal("127.0.0.1", flow.ClientAddress);
        Assert.Equal(TlsOrigin.HostName, flow.ClientTls!.ServerName);
        Assert.Contains("hello", System.Text.Encoding.UTF8.GetString(flow.ResponseBody.Bytes.Span));
        Assert.Null(flow.Error);
    }

    [Fact]
    public async Task Http2_is_negotiated_inside_the_tunnel_and_towards_the_origin()
    {
        using var client = env.Client(HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        using var response = await client.GetAsync(env.Https("/echo/h2"));
        var echo = await response.Content.ReadFromJsonAsync<EchoResponse>(EchoResponse.Json);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("HTTP/2", echo!.Protocol);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/h2");
        Assert.Equal("HTTP/2", flow.HttpVersion);
        Assert.Equal("HTTP/2", flow.UpstreamHttpVersion);
        Assert.Equal("h2", flow.ClientTls!.ApplicationProtocol);
    }

    [Fact]
    public async Task Http11_clients_stay_on_http11()
    {
        using var client = env.Client(HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);
        using var response = await client.GetAsync(env.Https("/echo/h1"));

        Assert.Equal(HttpVersion.Version11, response.Version);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/h1");
        Assert.Equal("HTTP/1.1", flow.HttpVersion);
        Assert.NotEqual("h2", flow.ClientTls!.ApplicationProtocol);
    }

    [Fact]
    public async Task Host_names_with_underscores_are_intercepted()
    {
        using var client = env.Client();
        using var response = await client.GetAsync(env.Https("/echo/underscore", "under_score.origin.test"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/underscore");
        Assert.Equal("under_score.origin.test", flow.Host);
    }

    [Theory]
    [InlineData(2)] // an HTTP/1.1 origin drains the body before it answers; an HTTP/2 one resets the stream
    public async Task An_upload_the_server_answers_before_reading_is_marked_truncated(int major)
    {
        using var client = env.Client(new Version(major, 0), HttpVersionPolicy.RequestVersionExact);

        try
        {
            using var response = await client.PostAsync(env.Https($"/status/200?early={major}"), new ByteArrayContent(TlsOrigin.Pattern(2 * 1024 * 1024)));
        }
        catch (HttpRequestException)
        {
            // An HTTP/1.1 server that answers early may close before the client finished sending; the flow is what counts.
        }

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == $"?early={major}");
        Assert.True(flow.RequestBody.WireLength < 2 * 1024 * 1024, $"{flow.RequestBody.WireLength} bytes passed");
        Assert.True(flow.RequestBody.Truncated, $"{flow.RequestBody.Bytes.Length} of {flow.RequestBody.WireLength} bytes kept and marked complete");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Large_uploads_and_downloads_stream_through_intact_and_capture_stops_at_the_limit(int major)
    {
        const int size = 48 * 1024 * 1024;
        using var client = env.Client(new Version(major, 0), HttpVersionPolicy.RequestVersionExact);

        var upload = TlsOrigin.Pattern(size);
        using var uploadResponse = await client.PostAsync(env.Https($"/upload?v={major}"), new ByteArrayContent(upload));
        var result = await uploadResponse.Content.ReadFromJsonAsync<UploadResult>();
        Assert.Equal(size, result!.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(upload)), result.Sha256);

        using var download = await client.GetAsync(env.Https($"/bytes?n={size}&v={major}"), HttpCompletionOption.ResponseHeadersRead);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var body = await download.Content.ReadAsStreamAsync())
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        Assert.Equal(SHA256.HashData(upload), hash.GetHashAndReset());

        var uploadFlow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/upload" && f.Query == $"?v={major}");
        Assert.Equal(size, uploadFlow.RequestBody.WireLength);
        Assert.True(uploadFlow.RequestBody.Truncated);
        Assert.Equal(1024 * 1024, uploadFlow.RequestBody.Bytes.Length);
        Assert.True(upload.AsSpan(0, 1024 * 1024).SequenceEqual(uploadFlow.RequestBody.Bytes.Span));

        var downloadFlow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/bytes" && f.Query.EndsWith($"v={major}"));
        Assert.Equal(size, downloadFlow.ResponseBody.WireLength);
        Assert.Equal(1024 * 1024, downloadFlow.ResponseBody.Bytes.Length);
    }

    private sealed record UploadResult(long Length, string Sha256);
}
