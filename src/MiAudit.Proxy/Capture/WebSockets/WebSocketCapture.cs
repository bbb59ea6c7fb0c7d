using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using MiAudit.Flows;

namespace MiAudit.Proxy.Capture.WebSockets;

/// <summary>
/// Puts a tap on the stream the forwarder gets when it upgrades the client's connection to a WebSocket (an HTTP/1.1
/// <c>Upgrade</c> or an HTTP/2 extended CONNECT), by wrapping the server features it asks for. Other upgrades are left
/// as they are.
/// </summary>
internal static class WebSocketCapture
{
    /// <summary>Installs the tap when the request asks for a WebSocket; returns the recorder that will hold its messages.</summary>
    public static WebSocketRecorder? Attach(HttpContext context, int captureLimit, TimeProvider clock)
    {
        var features = context.Features;
        if (features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
            && string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase))
        {
            var recorder = new WebSocketRecorder(captureLimit, clock);
            features.Set<IHttpExtendedConnectFeature>(new TappedConnect(connect, () => Tap(context, recorder)));
            return recorder;
        }

        if (features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade
            && string.Equals(context.Request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase))
        {
            var recorder = new WebSocketRecorder(captureLimit, clock);
            features.Set<IHttpUpgradeFeature>(new TappedUpgrade(upgrade, () => Tap(context, recorder)));
            return recorder;
        }

        return null;
    }

    // Called once the response head is final, so the negotiated extensions are known.
    private static Func<Stream, Stream> Tap(HttpContext context, WebSocketRecorder recorder)
    {
        var deflate = context.Response.Headers["Sec-WebSocket-Extensions"].ToString()
            .Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase);
        return stream => new WebSocketTapStream(stream,
            new WebSocketFrameReader(MessageDirection.Client, recorder, deflate),
            new WebSocketFrameReader(MessageDirection.Server, recorder, deflate));
    }

    private sealed class TappedUpgrade(IHttpUpgradeFeature inner, Func<Func<Stream, Stream>> tap) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync()
        {
            var wrap = tap();
            return wrap(await inner.UpgradeAsync());
        }
    }

    private sealed class TappedConnect(IHttpExtendedConnectFeature inner, Func<Func<Stream, Stream>> tap) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync()
        {
            var wrap = tap();
            return wrap(await inner.AcceptAsync());
        }
    }
}
