using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>Idle limits fit what phones do: long polls wait minutes, WebSockets stay open while both ends keep them.</summary>
public class IdleTimeoutTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Fact]
    public void The_defaults_let_a_long_poll_wait_minutes_and_never_close_a_quiet_websocket()
    {
        var defaults = new ProxyOptions(); // miaudit run's defaults are these (RunCommand formats them)
        Assert.True(defaults.UpstreamActivityTimeout >= TimeSpan.FromMinutes(5), $"exchange idle limit {defaults.UpstreamActivityTimeout}");
        Assert.Equal(Timeout.InfiniteTimeSpan, defaults.UpgradedIdleTimeout);
    }

    [Fact]
    public async Task A_websocket_quiet_for_longer_than_the_exchange_idle_limit_stays_open()
    {
        // This environment's exchange idle limit is 3 s; the upgraded stream's is the default (none).
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = new WebProxy(env.Proxy.ProxyUri);
        socket.Options.RemoteCertificateValidationCallback = Testing.InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate);
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // no pings: the socket is truly silent
        await socket.ConnectAsync(new Uri($"wss://{Testing.TlsOrigin.HostName}:{env.Origin.HttpsPort}/ws?case=idle"), CancellationToken.None);

        await Task.Delay(TimeSpan.FromSeconds(5));
        await socket.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64];
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = await socket.ReceiveAsync(buffer, bound.Token);
        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        Assert.Equal("still here", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }
}
