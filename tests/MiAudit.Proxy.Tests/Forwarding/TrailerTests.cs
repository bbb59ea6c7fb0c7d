using System.Net;
using System.Net.Http;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>Response trailers (where gRPC keeps its status) reach the client and are in the evidence.</summary>
public class TrailerTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Fact]
    public async Task Response_trailers_are_forwarded_and_recorded()
    {
        using var client = env.Client(HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        using var response = await client.PostAsync(env.Https("/trailers?case=grpc"), new StringContent("call"));
        Assert.Equal("answer", await response.Content.ReadAsStringAsync());
        Assert.Equal("7", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == "?case=grpc");
        Assert.Contains(flow.ResponseTrailers, t => t.Name == "grpc-status" && t.Value == "7");
        Assert.Contains(flow.ResponseTrailers, t => t.Name == "grpc-message" && t.Value == "denied");
    }
}
