using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using MiAudit.Flows;

namespace MiAudit.Proxy.Tests.Forwarding;

public class WebSocketTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    private static readonly string[] Messages = ["hello", new string('z', 100_000), "{\"device\":{\"aid\":\"3f8a6b2c1d4e5f60\"}}"];

    [Theory]
    [InlineData("wss", false)]
    [InlineData("ws", false)]
    [InlineData("wss", true)]
    [InlineData("ws", true)]
    public async Task Messages_pass_unchanged_and_are_recorded_in_order_both_ways(string scheme, bool deflate)
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = new WebProxy(env.Proxy.ProxyUri);
        socket.Options.RemoteCertificateValidationCallback = Testing.InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate);
        if (deflate)
        {
            socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        }

        var port = scheme == "wss" ? env.Origin.HttpsPort : env.Origin.HttpPort;
        var path = $"/ws?deflate&case={scheme}{deflate}";
        await socket.ConnectAsync(new Uri($"{scheme}://{Testing.TlsOrigin.HostName}:{port}{path}"), CancellationToken.None);
        await EchoAllAsync(socket);

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path + f.Query == path);
        Assert.Equal(101, flow.StatusCode);
        Assert.Equal(deflate, flow.ResponseHeader("sec-websocket-extensions")?.Contains("permessage-deflate") ?? false);
        AssertRecorded(flow);
    }

    [Fact]
    public async Task Messages_of_an_HTTP2_WebSocket_are_recorded()
    {
        using var handler = new SocketsHttpHandler
        {
            Proxy = new WebProxy(env.Proxy.ProxyUri),
            SslOptions = { RemoteCertificateValidationCallback = Testing.InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate) },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        await socket.ConnectAsync(new Uri($"wss://{Testing.TlsOrigin.HostName}:{env.Origin.HttpsPort}/ws?deflate&case=h2"), invoker, CancellationToken.None);
        await EchoAllAsync(socket);

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == "?deflate&case=h2");
        Assert.Equal("HTTP/2", flow.HttpVersion);
        Assert.Equal(200, flow.StatusCode);
        AssertRecorded(flow);
    }

    [Fact]
    public async Task A_socket_of_100000_messages_keeps_a_bounded_number_and_counts_them_all()
    {
        using var socket = new ClientWebSocket();
        socket.Options.Proxy = new WebProxy(env.Proxy.ProxyUri);
        socket.Options.RemoteCertificateValidationCallback = Testing.InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate);
        await socket.ConnectAsync(new Uri($"wss://{Testing.TlsOrigin.HostName}:{env.Origin.HttpsPort}/ws?sink&case=many"), CancellationToken.None);
        var message = Encoding.UTF8.GetBytes("{\"imei\":\"490154203237518\",\"n\":0000000}");
        for (var i = 0; i < 100_000; i++)
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Query == "?sink&case=many", TimeSpan.FromSeconds(60));
        var totals = flow.WebSocketTotals!;
        Assert.Equal(100_001, totals.ClientMessages); // and the close
        Assert.Equal(100_000L * message.Length + 6, totals.ClientBytes); // the close carries its code and "done"
        Assert.Equal(MiAudit.Proxy.Capture.WebSockets.WebSocketRecorder.MaxKeptMessages, flow.WebSocketMessages.Count);
        Assert.All(flow.WebSocketMessages, m => Assert.Equal(message, m.Payload.Bytes.ToArray()));
    }

    private static async Task EchoAllAsync(ClientWebSocket socket)
    {
        foreach (var message in Messages)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
            Assert.Equal(message, await ReceiveAsync(socket));
        }

        await socket.SendAsync(new byte[] { 0, 1, 2, 255 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await ReceiveAsync(socket);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            received.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>Each message went out and came back: client and server alternate, text then binary, then both closes.</summary>
    private static void AssertRecorded(Flow flow)
    {
        var messages = flow.WebSocketMessages;
        var expected = Messages.Select(Encoding.UTF8.GetBytes).Append(new byte[] { 0, 1, 2, 255 }).ToArray();
        Assert.True(messages.Count >= 2 * expected.Length + 1, string.Join(", ", messages.Select(m => $"{m.Direction} {m.Opcode} {m.Payload.WireLength}")));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(MessageDirection.Client, messages[2 * i].Direction);
            Assert.Equal(MessageDirection.Server, messages[2 * i + 1].Direction);
            Assert.Equal(expected[i], messages[2 * i].Payload.Bytes.ToArray());
            Assert.Equal(expected[i], messages[2 * i + 1].Payload.Bytes.ToArray());
            Assert.Equal(i < Messages.Length ? WebSocketMessage.Text : WebSocketMessage.Binary, messages[2 * i].Opcode);
            Assert.Null(messages[2 * i].Note);
        }

        Assert.Contains(messages, m => m.Direction == MessageDirection.Client && m.Opcode == WebSocketMessage.Close);
        Assert.Equal(flow.WebSocketTotals!.ClientMessages + flow.WebSocketTotals.ServerMessages, messages.Count);
        Assert.Null(flow.Error);
    }
}
