using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>Header bytes above 0x7F (UTF-8 or Latin-1) pass both ways unchanged and are stored as the text they are.</summary>
public class NonAsciiHeaderTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    public static TheoryData<string, string> Cases => new()
    {
        { "1.1", "utf-8" },
        { "2.0", "utf-8" },
        { "1.1", "latin1" },
        { "2.0", "latin1" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_request_header_value_reaches_the_origin_byte_for_byte(string version, string encodingName)
    {
        var encoding = encodingName == "utf-8" ? Encoding.UTF8 : Encoding.Latin1;
        var handler = env.Proxy.CreateHandler();
        handler.RequestHeaderEncodingSelector = (_, _) => encoding;
        using var client = new HttpClient(handler) { DefaultRequestVersion = Version.Parse(version), DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var query = $"?case={version}{encodingName}";
        using var request = new HttpRequestMessage(HttpMethod.Get, env.Https("/echo" + query));
        request.Headers.TryAddWithoutValidation("X-Name", "café ünïcode");

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = (await response.Content.ReadFromJsonAsync<EchoResponse>(EchoResponse.Json))!;
        Assert.Equal(encoding.GetBytes("café ünïcode"), Encoding.Latin1.GetBytes(echo.Header("X-Name")!));

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == query);
        Assert.Equal(encodingName == "utf-8" ? "café ünïcode" : Encoding.Latin1.GetString(Encoding.Latin1.GetBytes("café ünïcode")), flow.RequestHeader("X-Name"));
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task A_response_header_value_reaches_the_client_byte_for_byte(string version)
    {
        var handler = env.Proxy.CreateHandler();
        handler.ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8;
        using var client = new HttpClient(handler) { DefaultRequestVersion = Version.Parse(version), DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var query = $"?value={Uri.EscapeDataString("naïve ☃")}&case={version}";

        using var response = await client.GetAsync(env.Https("/non-ascii" + query));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("naïve ☃", Assert.Single(response.Headers.GetValues("X-Name")));
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == query);
        Assert.Equal("naïve ☃", flow.ResponseHeader("X-Name"));
    }
}
