using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>The CONNECT parser behind a real socket: heads in pieces, heads too large, heads never finished.</summary>
public class ConnectOverSocketTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Fact]
    public async Task A_connect_head_split_across_many_writes_is_understood()
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        var head = $"CONNECT {TlsOrigin.HostName}:{env.Origin.HttpPort} HTTP/1.1\r\nHost: {TlsOrigin.HostName}\r\nUser-Agent: split\r\n\r\n";
        foreach (var piece in head.Chunk(5))
        {
            await connection.SendAsync(new string(piece));
            await connection.Stream.FlushAsync();
            await Task.Delay(15);
        }

        Assert.StartsWith("HTTP/1.1 200 Connection Established", await connection.ReadHeadAsync());
        await connection.SendAsync($"GET /echo/after-split HTTP/1.1\r\nHost: {TlsOrigin.HostName}\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", System.Text.Encoding.ASCII.GetString(await connection.ReadToEndAsync()));
    }

    [Fact]
    public async Task An_oversized_connect_head_is_refused_with_431()
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        await connection.SendAsync($"CONNECT {TlsOrigin.HostName}:443 HTTP/1.1\r\nX-Padding: {new string('p', 20_000)}\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 431", await connection.ReadHeadAsync());
    }

    [Fact]
    public async Task A_malformed_connect_target_is_refused_with_400()
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        await connection.SendAsync("CONNECT no-port-here HTTP/1.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", await connection.ReadHeadAsync());
    }
}
