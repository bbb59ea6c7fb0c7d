using System.Net;
using System.Net.Http;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>
/// The client gets the origin's response head when the origin sends it, and a body-less answer as the one frame it was:
/// gRPC's trailers-only errors and streams whose server speaks first (initial metadata, SSE) depend on both.
/// </summary>
public class ResponseTimingTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task The_response_head_arrives_before_the_origin_sends_any_body(string version)
    {
        var key = Guid.NewGuid().ToString("N");
        using var client = env.Client(Version.Parse(version), HttpVersionPolicy.RequestVersionExact);
        var head = client.GetAsync(env.Https($"/head-first?key={key}"), HttpCompletionOption.ResponseHeadersRead);

        // The origin sends its body only after this test saw the head: a proxy that waits for the body never answers.
        var first = await Task.WhenAny(head, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(first == head, "the response head did not arrive while the origin held its body back");
        using var response = await head;
        Assert.Equal("sent", Assert.Single(response.Headers.GetValues("X-Head")));
        env.Origin.Release(key);
        Assert.Equal("body after head", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_grpc_trailers_only_error_keeps_end_stream_on_its_only_headers_frame()
    {
        var result = await NodeHttp2Client.RunAsync(env, "POST", "/miaudit.Test/Denied", "content-type=application/grpc", "te=trailers");

        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.True(result.GetProperty("endStream").GetBoolean(), $"HEADERS without END_STREAM: {result}");
        Assert.Equal("7", result.GetProperty("headers").GetProperty("grpc-status").GetString());
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/miaudit.Test/Denied");
        Assert.Contains(flow.ResponseHeaders, h => h.Name.Equals("grpc-status", StringComparison.OrdinalIgnoreCase) && h.Value == "7");
    }

    [Fact]
    public async Task A_grpc_answer_with_a_body_still_ends_with_its_trailers()
    {
        var result = await NodeHttp2Client.RunAsync(env, "POST", "/trailers", "content-type=application/grpc");

        Assert.False(result.GetProperty("endStream").GetBoolean());
        Assert.Equal("answer", result.GetProperty("body").GetString());
        Assert.Equal("7", result.GetProperty("trailers").GetProperty("grpc-status").GetString());
    }
}
