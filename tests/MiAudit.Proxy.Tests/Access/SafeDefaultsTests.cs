using System.Net;
using System.Text;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Access;

/// <summary>The safe defaults over real sockets: who may connect, with which credentials, to where.</summary>
public sealed class SafeDefaultsTests : IAsyncLifetime
{
    private readonly TestCertificates _originCertificates = new();
    private TlsOrigin _origin = null!;

    public async Task InitializeAsync() =>
        _origin = await TlsOrigin.StartAsync(_originCertificates.CreateServerCertificate(TlsOrigin.HostName, "127.0.0.1"));

    [Fact]
    public async Task Clients_outside_the_allowed_networks_are_disconnected_and_logged()
    {
        await using var proxy = await InProcessProxy.StartAsync(options => options.AllowedClients.Add(IPNetwork.Parse("10.0.0.0/8")));
        RawProxyConnection? connection = null;
        try
        {
            connection = await RawProxyConnection.OpenAsync(proxy.EndPoint);
            await connection.SendAsync("GET http://miaudit.cert/ HTTP/1.1\r\nHost: miaudit.cert\r\n\r\n");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset })
        {
            // The proxy hung up before the request was written, or before the connect completed here: refused all the same.
        }

        using (connection)
        {
            Assert.Empty(connection is null ? [] : await ReadOrResetAsync(connection));
        }

        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("Refused a connection from 127.0.0.1"));
    }

    [Fact]
    public async Task Proxy_authentication_answers_407_without_credentials_and_forwards_with_them()
    {
        await using var proxy = await InProcessProxy.StartAsync(options =>
        {
            options.ProxyAuthentication = "researcher:s3cret";
            options.UpstreamTrustedCas.Add(_originCertificates.PublicAuthority);
        });

        using (var connection = await RawProxyConnection.OpenAsync(proxy.EndPoint))
        {
            var head = await connection.ConnectAsync($"{TlsOrigin.HostName}:{_origin.HttpsPort}");
            Assert.StartsWith("HTTP/1.1 407", head);
            Assert.Contains("Proxy-Authenticate: Basic realm=\"MiAudit\"", head);
        }

        using (var anonymous = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy(proxy.ProxyUri) }))
        {
            using var refused = await anonymous.GetAsync($"http://{TlsOrigin.HostName}:{_origin.HttpPort}/echo");
            Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, refused.StatusCode);
        }

        var handler = proxy.CreateHandler();
        handler.Proxy = new WebProxy(proxy.ProxyUri) { Credentials = new NetworkCredential("researcher", "s3cret") };
        using var client = new HttpClient(handler);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"https://{TlsOrigin.HostName}:{_origin.HttpsPort}/echo")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{TlsOrigin.HostName}:{_origin.HttpPort}/echo")).StatusCode);
    }

    [Fact]
    public async Task Upstreams_on_this_machine_are_refused_by_default()
    {
        await using var proxy = await InProcessProxy.StartAsync(options =>
        {
            options.AllowLoopbackUpstream = false;
            options.UpstreamTrustedCas.Add(_originCertificates.PublicAuthority);
        });
        using var client = proxy.CreateClient();

        using var mapped = await client.GetAsync($"https://{TlsOrigin.HostName}:{_origin.HttpsPort}/echo");
        using var literal = await client.GetAsync($"http://127.0.0.1:{_origin.HttpPort}/echo");
        var body = await mapped.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, mapped.StatusCode);
        Assert.Contains("this machine", body);
        Assert.Equal(HttpStatusCode.BadGateway, literal.StatusCode);
        var flow = await proxy.Flows.WaitForAsync(f => f.Port == _origin.HttpsPort);
        Assert.Equal("upstream-forbidden", flow.Error!.Kind);

        // Opaque tunnels to this machine are refused too.
        using var tunnel = await RawProxyConnection.OpenAsync(proxy.EndPoint);
        Assert.StartsWith("HTTP/1.1 200", await tunnel.ConnectAsync($"127.0.0.1:{_origin.HttpPort}"));
        await tunnel.SendAsync("SSH-2.0-probe\r\n");
        Assert.Empty(await ReadOrResetAsync(tunnel));
    }

    private static async Task<byte[]> ReadOrResetAsync(RawProxyConnection connection)
    {
        try
        {
            return await connection.ReadToEndAsync(TimeSpan.FromSeconds(10));
        }
        catch (IOException)
        {
            return []; // reset by the proxy
        }
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _originCertificates.Dispose();
    }
}
