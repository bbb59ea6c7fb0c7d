using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using MiAudit.Flows;
using MiAudit.Proxy.Capture;
using MiAudit.Proxy.Tls;

namespace MiAudit.Proxy.Connect;

/// <summary>
/// Kestrel connection middleware that answers CONNECT before Kestrel parses HTTP (Kestrel and YARP both refuse it).
/// After "200 Connection Established" it looks at the client's first bytes: TLS is intercepted (or passed through),
/// plain HTTP is served as HTTP, anything else is relayed. Connections that do not start with CONNECT go straight on.
/// </summary>
internal sealed class ConnectMiddleware(
    ProxyOptions options,
    Access.ProxyAuthentication? authentication,
    TlsInterceptor interceptor,
    PassthroughPolicy passthrough,
    TcpRelay relay,
    DecryptedRelay decryptedRelay,
    FlowDispatcher flows,
    TimeProvider clock,
    Logging.LogThrottle throttle,
    ILogger<ConnectMiddleware> logger)
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    // As long as Kestrel keeps an idle connection open: spare connections browsers open early wait this long.
    private static readonly TimeSpan FirstRequestTimeout = TimeSpan.FromSeconds(130);
    private static readonly byte[] Established = "HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray();

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        try
        {
            await HandleAsync(connection, next);
        }
        catch (Exception e) when (e is IOException or ConnectionAbortedException or OperationCanceledException)
        {
            // A client that resets its connection (phones do, when they switch networks or kill an app) surfaces as
            // an exception from the transport: that is the client leaving, not a fault to report as unhandled.
            logger.LogDebug("Connection from {Client} ended abruptly: {Reason}", connection.RemoteEndPoint, e.Message);
        }
        catch (Exception e)
        {
            // Nothing a client sends should get here: this is MiAudit's bug. Counted and throttled, with the trace.
            if (throttle.TryPass("connect-bug", out var suppressed))
            {
                logger.LogError(e, "MiAudit bug while handling a connection from {Client}{Held}", connection.RemoteEndPoint, Logging.LogThrottle.Held(suppressed));
            }
        }
    }

    /// <summary>One line per client address per window for what clients get wrong; the rest is counted.</summary>
    private void ClientFault(ConnectionContext connection, string message, params object?[] arguments)
    {
        var client = (connection.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "?";
        if (throttle.TryPass($"client {client}", out var suppressed))
        {
            logger.LogInformation(message + "{Held}", [.. arguments, Logging.LogThrottle.Held(suppressed)]);
        }
    }

    private async Task HandleAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        ConnectRequest? request;
        using (var headDeadline = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            headDeadline.CancelAfter(options.ConnectHeadTimeout);
            var head = await ReadHeadAsync(connection, headDeadline.Token);
            switch (head.Kind)
            {
                case HeadKind.NotConnect:
                    await next(connection);
                    return;
                case HeadKind.Refused:
                    return;
            }

            request = head.Request!;
        }

        if (authentication is not null && !authentication.Accepts(request.Header("Proxy-Authorization")))
        {
            ClientFault(connection, "CONNECT {Host}:{Port} from {Client} without valid proxy credentials", request.Host, request.Port, connection.RemoteEndPoint);
            await RefuseAsync(connection, 407, "proxy authentication required");
            return;
        }

        var startedAt = clock.GetUtcNow();
        // Kestrel's ConnectionClosed fires on the client's FIN, and a client may send its data and FIN at once:
        // from here on only real errors end the tunnel.
        await connection.Transport.Output.WriteAsync(Established);
        var content = await SniffAsync(connection.Transport.Input, connection.ConnectionClosed);
        if (content is null)
        {
            return; // the client closed the tunnel without sending anything
        }

        var client = ClientAddressOf(connection.RemoteEndPoint as IPEndPoint);
        ClientHello? hello = null;
        if (content.Value == TunnelContent.Tls)
        {
            using var helloDeadline = new CancellationTokenSource(HandshakeTimeout);
            try
            {
                hello = await ClientHello.PeekAsync(connection.Transport.Input, helloDeadline.Token);
            }
            catch (OperationCanceledException)
            {
                logger.LogDebug("No whole ClientHello for {Host}:{Port} within {Seconds} s", request.Host, request.Port, HandshakeTimeout.TotalSeconds);
                return;
            }
        }

        var passThrough = content.Value == TunnelContent.Tls && !CertificatePage.CertificatePage.IsMagicHost(request.Host)
            ? passthrough.PassThroughReason(request.Host, client, hello?.Fingerprint ?? "")
            : null;
        switch (content.Value)
        {
            case TunnelContent.Tls when passThrough is not null:
                await RelayAsync(connection, request, FlowTransport.PassthroughTls, startedAt, passThrough, HelloTls(hello));
                break;
            case TunnelContent.Tls:
                await InterceptAsync(connection, request, hello, next, startedAt);
                break;
            case TunnelContent.Http:
                connection.Features.Set(new ProxyTunnelFeature { Host = request.Host, Port = request.Port, Transport = FlowTransport.TunnelHttp });
                await next(connection);
                break;
            case TunnelContent.Http2PriorKnowledge:
                TlsConnectionFeatures.PriorKnowledge().SetOn(connection.Features);
                connection.Features.Set(new ProxyTunnelFeature { Host = request.Host, Port = request.Port, Transport = FlowTransport.TunnelHttp });
                await next(connection);
                break;
            default:
                await RelayAsync(connection, request, FlowTransport.OpaqueTcp, startedAt, "neither TLS nor HTTP: relayed as TCP bytes", clientTls: null);
                break;
        }
    }

    private async Task InterceptAsync(ConnectionContext connection, ConnectRequest request, ClientHello? hello, ConnectionDelegate next, DateTimeOffset startedAt)
    {
        (string, int)? origin = CertificatePage.CertificatePage.IsMagicHost(request.Host) ? null : (request.Host, request.Port);
        var fingerprint = hello?.Fingerprint ?? "";
        var tls = await interceptor.HandshakeAsync(connection, hello, request.Host, origin, HandshakeTimeout, FirstRequestTimeout, options.TunnelSniffTimeout);
        var client = ClientAddressOf(connection.RemoteEndPoint as IPEndPoint);
        if (!tls.Succeeded)
        {
            var reason = Reason(tls.Failure);
            if (tls.RefusalAlert is not { } alert)
            {
                // Spare connections that browsers open and later drop, malformed records, a client that stalled or
                // offered no protocol we serve: no request was made, and none of it says anything about pinning.
                logger.LogDebug("Intercepted connection for {Host}:{Port} ended without a request: {Reason}", request.Host, request.Port, reason);
                return;
            }

            if (passthrough.RecordRefusal(request.Host, client, fingerprint, alert))
            {
                logger.LogWarning(
                    "{Client} keeps refusing MiAudit's certificate for {Host} ({Alert}: pinning, or the CA is not trusted there); passing its TLS through untouched for {Minutes} minutes",
                    client, request.Host, alert, PassthroughPolicy.RetryAfter.TotalMinutes);
            }
            else
            {
                ClientFault(connection, "The client refused MiAudit's certificate for {Host}:{Port}: {Reason}", request.Host, request.Port, reason);
            }

            await flows.PublishAsync(TunnelFlow(connection, request, FlowTransport.InterceptedTls, startedAt, 0, 0,
                new FlowError(FlowError.ClientTlsHandshake, reason)) with { ClientTls = HelloTls(hello) });
            return;
        }

        passthrough.RecordHandshakeSuccess(request.Host, client, fingerprint);
        if (origin is not null && !DecryptedRelay.IsHttp(tls.ClientTls!.ApplicationProtocol, tls.FirstBytes.Span))
        {
            await RelayDecryptedAsync(connection, request, tls, startedAt);
            return;
        }

        var tunnel = new ProxyTunnelFeature
        {
            Host = request.Host,
            Port = request.Port,
            Transport = FlowTransport.InterceptedTls,
            ClientTls = tls.ClientTls,
        };
        await TlsInterceptor.ServeAsync(connection, tls, tunnel, next);
    }

    private async Task RelayDecryptedAsync(ConnectionContext connection, ConnectRequest request, InterceptedTls tls, DateTimeOffset startedAt)
    {
        var clientTls = tls.ClientTls!;
        DecryptedRelay.Result result;
        await using (tls.Ssl!)
        {
            result = await decryptedRelay.RelayAsync(tls.Decrypted!, tls.Ssl!, request.Host, request.Port, clientTls.ServerName, clientTls.ApplicationProtocol);
        }

        FlowError? error = null;
        if (result.Failure is { } failure)
        {
            var reason = Forwarding.UpstreamFailure.Classify(Yarp.ReverseProxy.Forwarder.ForwarderError.Request, failure, $"{request.Host}:{request.Port}");
            error = reason.Error;
            logger.LogWarning("Decrypted non-HTTP relay to {Host}:{Port} ended: {Reason}", request.Host, request.Port, reason.Error.Message);
        }

        await flows.PublishAsync(TunnelFlow(connection, request, FlowTransport.DecryptedOpaque, startedAt, 0, 0, error) with
        {
            RequestBody = result.ClientToServer,
            ResponseBody = result.ServerToClient,
            ClientTls = clientTls,
        });
    }

    /// <param name="notDecrypted">Why the bytes are relayed without being read: stored with the flow, as evidence of what was not audited.</param>
    /// <param name="clientTls">What the client's hello said (server name, fingerprint), for TLS relayed untouched.</param>
    private async Task RelayAsync(ConnectionContext connection, ConnectRequest request, FlowTransport transport, DateTimeOffset startedAt, string notDecrypted,
        ClientTls? clientTls)
    {
        var result = await relay.RelayAsync(connection, request.Host, request.Port);
        var error = new FlowError(FlowError.NotDecrypted, notDecrypted);
        if (result.Failure is { } failure)
        {
            var reason = Forwarding.UpstreamFailure.Classify(Yarp.ReverseProxy.Forwarder.ForwarderError.Request, failure, $"{request.Host}:{request.Port}");
            error = error with { Message = $"{notDecrypted}; the relay ended: {reason.Error.Message}" };
            logger.LogWarning("Relay to {Host}:{Port} ended: {Reason}", request.Host, request.Port, reason.Error.Message);
        }

        await flows.PublishAsync(TunnelFlow(connection, request, transport, startedAt, result.ClientToServer, result.ServerToClient, error) with { ClientTls = clientTls });
    }

    /// <summary>A hello's facts for a flow whose TLS MiAudit did not complete: no protocol or version was agreed with it.</summary>
    private static ClientTls? HelloTls(ClientHello? hello) =>
        hello is null ? null : new ClientTls(hello.ServerName, "", "") { Fingerprint = hello.Fingerprint };

    private Flow TunnelFlow(ConnectionContext connection, ConnectRequest request, FlowTransport transport, DateTimeOffset startedAt,
        long clientBytes, long serverBytes, FlowError? error)
    {
        var remote = connection.RemoteEndPoint as IPEndPoint;
        return new Flow
        {
            StartedAt = startedAt,
            CompletedAt = clock.GetUtcNow(),
            ClientAddress = ClientAddressOf(remote),
            ClientPort = remote?.Port ?? 0,
            Transport = transport,
            Method = "CONNECT",
            Scheme = transport switch
            {
                FlowTransport.OpaqueTcp => "tcp",
                FlowTransport.DecryptedOpaque => "tls",
                _ => "https",
            },
            Host = request.Host,
            Port = request.Port,
            Path = "",
            RequestHeaders = request.Headers,
            RequestBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, clientBytes),
            StatusCode = 200,
            ResponseBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, serverBytes),
            Error = error,
        };
    }

    /// <summary>The failure's messages down to the innermost (where OpenSSL names the alert), without "see inner exception".</summary>
    private static string Reason(Exception? failure)
    {
        var messages = new List<string>();
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (!e.Message.Contains("see inner exception", StringComparison.OrdinalIgnoreCase))
            {
                messages.Add(e.Message);
            }
        }

        return messages.Count == 0 ? "handshake failed" : string.Join(": ", messages.Distinct());
    }

    internal static string ClientAddressOf(IPEndPoint? remote) =>
        remote is null ? "" : (remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address).ToString();

    private async Task<HeadOutcome> ReadHeadAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                if (!ConnectHeadParser.LooksLikeConnect(buffer) || (buffer.IsEmpty && result.IsCompleted))
                {
                    input.AdvanceTo(buffer.Start);
                    return HeadOutcome.NotConnect;
                }

                var status = ConnectHeadParser.TryParse(buffer, options.MaxConnectHeadBytes, out var request, out var end, out var error);
                if (status == ConnectHeadStatus.Complete)
                {
                    input.AdvanceTo(end);
                    return HeadOutcome.Connect(request!);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (status == ConnectHeadStatus.Invalid)
                {
                    ClientFault(connection, "Refused CONNECT from {Client}: {Reason}", connection.RemoteEndPoint, error!.Reason);
                    await RefuseAsync(connection, error.StatusCode, error.Reason);
                    return HeadOutcome.Refused;
                }

                if (result.IsCompleted)
                {
                    return HeadOutcome.Refused;
                }
            }
        }
        catch (OperationCanceledException) when (!connection.ConnectionClosed.IsCancellationRequested)
        {
            ClientFault(connection, "Closed connection from {Client}: no complete CONNECT head within {Seconds} s",
                connection.RemoteEndPoint, options.ConnectHeadTimeout.TotalSeconds);
            await RefuseAsync(connection, 408, "request head timeout");
            return HeadOutcome.Refused;
        }
        catch (OperationCanceledException)
        {
            return HeadOutcome.Refused;
        }
    }

    private static async Task RefuseAsync(ConnectionContext connection, int statusCode, string reason)
    {
        var phrase = statusCode switch
        {
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            _ => "Bad Request",
        };
        var challenge = statusCode == 407 ? $"Proxy-Authenticate: {Access.ProxyAuthentication.Challenge}\r\n" : "";
        var body = $"MiAudit: {reason}\n";
        var response = $"HTTP/1.1 {statusCode} {phrase}\r\n{challenge}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        try
        {
            await connection.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes(response));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client is already gone; nothing to tell it.
        }
    }

    /// <summary>Waits for the first bytes in the tunnel without consuming them; null when the client closed it.</summary>
    private async Task<TunnelContent?> SniffAsync(PipeReader input, CancellationToken connectionClosed)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(connectionClosed);
        quiet.CancelAfter(options.TunnelSniffTimeout);
        using var registration = quiet.Token.Register(input.CancelPendingRead);
        while (true)
        {
            var result = await input.ReadAsync(CancellationToken.None);
            var buffer = result.Buffer;
            var enough = buffer.Length >= TunnelSniffer.BytesWanted
                || (buffer.Length >= 2 && TunnelSniffer.Classify(buffer) == TunnelContent.Tls);
            if (enough || result.IsCanceled || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                if (buffer.IsEmpty && (result.IsCompleted || connectionClosed.IsCancellationRequested))
                {
                    return null;
                }

                return TunnelSniffer.Classify(buffer);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private enum HeadKind
    {
        NotConnect,
        Refused,
        Connect,
    }

    private readonly record struct HeadOutcome(HeadKind Kind, ConnectRequest? Request)
    {
        public static readonly HeadOutcome NotConnect = new(HeadKind.NotConnect, null);
        public static readonly HeadOutcome Refused = new(HeadKind.Refused, null);

        public static HeadOutcome Connect(ConnectRequest request) => new(HeadKind.Connect, request);
    }
}
