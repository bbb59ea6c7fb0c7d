using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace MiAudit.Proxy.Tests.Forwarding;

public class WebSocketTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Theory]
    [InlineData("wss")]
    [InlineData("ws")]
    public async Task WebSocket_upgrades_pass_through_and_echo(string scheme)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = new WebProxy(env.Proxy.ProxyUri);
        socket.Options.RemoteCertificateValidationCallback = Testing.InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate);
        var port = scheme == "wss" ? env.Origin.HttpsPort : env.Origin.HttpPort;
        await socket.ConnectAsync(new Uri($"{scheme}://{Testing.TlsOrigin.HostName}:{port}/ws"), CancellationToken.None);

        foreach (var message in new[] { "hello", new string('z', 100_000) })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            var received = new MemoryStream();
            var buffer = new byte[16 * 1024];
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                received.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            Assert.Equal(message, Encoding.UTF8.GetString(received.ToArray()));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/ws" && f.Port == port);
        Assert.Equal(101, flow.StatusCode);
    }
}
