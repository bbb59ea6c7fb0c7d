using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;
using MiAudit.Flows;
using MiAudit.Proxy.Connect;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Terminates the client's TLS inside a tunnel with a leaf certificate for the requested name, then hands the decrypted
/// connection back to Kestrel with the TLS features set, so Kestrel serves HTTP/1.1 or HTTP/2 as ALPN agreed.
/// The ALPN answer is the origin's own choice from the client's offer (<see cref="AlpnOffer"/>).
/// </summary>
public sealed class TlsInterceptor(LeafCertificateCache certificates, bool offerHttp2, OriginProtocols origins)
{
    /// <summary>
    /// Handshakes with the client and waits for its first decrypted bytes. Under TLS 1.3 our side of the handshake
    /// completes before the client has judged our certificate, so a client that refuses it (pinning, untrusted CA)
    /// only shows itself afterwards, by an alert instead of a request (<see cref="CertificateRefusal"/>).
    /// </summary>
    /// <param name="hello">The client's ClientHello, read beforehand (<see cref="ClientHello.PeekAsync"/>); null when it could not be.</param>
    /// <param name="origin">The server the tunnel is for, asked which protocol it speaks; null for MiAudit's own page.</param>
    /// <param name="firstRequestTimeout">How long an HTTP client may stay silent after the handshake (browsers' spare connections do).</param>
    /// <param name="quietTimeout">How long a client that agreed no HTTP may stay silent before its server is let speak first.</param>
    public async Task<InterceptedTls> HandshakeAsync(ConnectionContext connection, ClientHello? hello, string connectHost, (string Host, int Port)? origin,
        TimeSpan handshakeTimeout, TimeSpan firstRequestTimeout, TimeSpan quietTimeout)
    {
        var ssl = new SslStream(new DuplexPipeStream(connection.Transport), leaveInnerStreamOpen: true);
        var state = new HandshakeState(this, connectHost, origin) { Hello = hello };
        var first = new byte[16 * 1024];
        int read;
        // Only the clock cancels: Kestrel's ConnectionClosed also fires on a reset, and cancelling then would lose the
        // difference between a refusal (the alert, or a reset after our certificate) and a spare connection's FIN,
        // which the reads themselves report (an exception, or the end of the stream).
        using var deadline = new CancellationTokenSource();
        try
        {
            deadline.CancelAfter(handshakeTimeout);
            await ssl.AuthenticateAsServerAsync(SelectOptionsAsync, state, deadline.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return await FailedAsync(ssl, e, state.CertificateSent && IsReset(e));
        }
        catch (OperationCanceledException e)
        {
            return await FailedAsync(ssl, e);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // What SslStream throws for records that are not TLS at all: malformed, not a refusal of our certificate.
            return await FailedAsync(ssl, new AuthenticationException($"malformed TLS from the client ({e.Message})", e));
        }

        var clientTls = new ClientTls(
            state.ServerName,
            ssl.NegotiatedApplicationProtocol.ToString(),
            ssl.SslProtocol.ToString()) { Fingerprint = hello?.Fingerprint };
        try
        {
            if (DecryptedRelay.AgreedHttp(clientTls.ApplicationProtocol))
            {
                deadline.CancelAfter(firstRequestTimeout);
                read = await ssl.ReadAsync(first, deadline.Token);
            }
            else
            {
                // No HTTP was agreed: if the client stays silent, its protocol may be one whose server speaks first
                // (IMAP, SMTP, FTP over TLS), and waiting for a request would hang it. The relay to the origin then
                // takes over the pending read (not cancelled: a cancelled SslStream read can lose bytes).
                var firstRead = ssl.ReadAsync(first, CancellationToken.None).AsTask();
                try
                {
                    read = await firstRead.WaitAsync(quietTimeout);
                }
                catch (TimeoutException)
                {
                    return new InterceptedTls(ssl, new PendingReadStream(firstRead, first, ssl), clientTls, null, RefusalAlert: null);
                }
            }
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return await FailedAsync(ssl, e);
        }
        catch (OperationCanceledException e)
        {
            return await FailedAsync(ssl, e);
        }

        if (read == 0)
        {
            // A spare connection (browsers open several and keep one), or a client that changed its mind: no refusal.
            return await FailedAsync(ssl, new EndOfStreamException("the client closed the connection without sending a request"));
        }

        return new InterceptedTls(ssl, new PrefixedStream(first.AsMemory(0, read), ssl), clientTls, null, RefusalAlert: null)
        {
            FirstBytes = first.AsMemory(0, read),
        };
    }

    /// <param name="resetOnCertificate">
    /// The client reset the connection after our certificate was sent and before the handshake completed: a client
    /// that sends its alert and closes at once, with our bytes unread, reaches us as a reset before the alert is read
    /// (curl does, often). A clean close (FIN) there is not counted: Chromium ends the handshakes of the spare
    /// connections it no longer needs exactly so.
    /// </param>
    private static async Task<InterceptedTls> FailedAsync(SslStream ssl, Exception failure, bool resetOnCertificate = false)
    {
        await ssl.DisposeAsync();
        return new InterceptedTls(null, null, null, failure, CertificateRefusal.Alert(failure) ?? (resetOnCertificate ? CertificateRefusal.ResetDuringHandshake : null));
    }

    private static bool IsReset(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset }
                || e.Message.Contains("Connection reset", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Serves the decrypted connection through Kestrel's HTTP stack, then restores the raw transport.</summary>
    public static async Task ServeAsync(ConnectionContext connection, InterceptedTls tls, ProxyTunnelFeature tunnel, ConnectionDelegate next)
    {
        var ssl = tls.Ssl!;
        var raw = connection.Transport;
        TlsConnectionFeatures.For(ssl.NegotiatedApplicationProtocol.Protocol, tls.FirstBytes.Span).SetOn(connection.Features);
        connection.Features.Set(tunnel);
        connection.Transport = new StreamDuplexPipe(tls.Decrypted!);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = raw;
            await ssl.DisposeAsync();
        }
    }

    private static async ValueTask<SslServerAuthenticationOptions> SelectOptionsAsync(
        SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken cancellationToken)
    {
        var handshake = (HandshakeState)state!;
        handshake.ServerName = string.IsNullOrEmpty(hello.ServerName) ? null : hello.ServerName;
        var options = await handshake.Interceptor.OptionsForAsync(handshake, cancellationToken);
        handshake.CertificateSent = true; // a well-formed ClientHello: our certificate goes out with the answer
        return options;
    }

    private async Task<SslServerAuthenticationOptions> OptionsForAsync(HandshakeState handshake, CancellationToken cancellationToken)
    {
        var offer = handshake.Hello?.ApplicationProtocols ?? [];
        string? originChoice = null;
        if (handshake.Origin is { } origin && AlpnOffer.Question(offer, offerHttp2) is { } question)
        {
            originChoice = await origins.ChooseAsync(origin.Host, origin.Port, handshake.ServerName, question, cancellationToken);
        }

        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificates.Get(handshake.ServerName ?? handshake.ConnectHost),
            ApplicationProtocols = AlpnOffer.ForClient(offer, offerHttp2, originChoice),
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
    }

    private sealed class HandshakeState(TlsInterceptor interceptor, string connectHost, (string Host, int Port)? origin)
    {
        public TlsInterceptor Interceptor { get; } = interceptor;
        public string ConnectHost { get; } = connectHost;
        public (string Host, int Port)? Origin { get; } = origin;
        public ClientHello? Hello { get; set; }
        public string? ServerName { get; set; }
        public bool CertificateSent { get; set; }
    }

    /// <summary>Pipes over the decrypted stream, handed to Kestrel as the connection's transport.</summary>
    private sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }
}

/// <summary>The result of a client handshake: the decrypted stream (first bytes included), or the reason it failed.</summary>
/// <param name="RefusalAlert">
/// The alert with which the client rejected our certificate (<c>unknown_ca</c>, <c>bad_certificate</c> …), which is what
/// pinning or an untrusted CA looks like; null for every other failure.
/// </param>
public sealed record InterceptedTls(SslStream? Ssl, Stream? Decrypted, ClientTls? ClientTls, Exception? Failure, string? RefusalAlert)
{
    /// <summary>The client's first decrypted bytes (also the start of <see cref="Decrypted"/>): is it HTTP?</summary>
    public ReadOnlyMemory<byte> FirstBytes { get; init; }

    public bool Succeeded => Ssl is not null;
}
