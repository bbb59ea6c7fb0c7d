using System.Net.Security;
using System.Net.Sockets;
using MiAudit.Flows;
using MiAudit.Proxy.Capture;
using MiAudit.Proxy.Forwarding;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Carries what a client sends inside intercepted TLS that is not HTTP — a protocol the origin agreed to in ALPN
/// (<c>mqtt</c>, a vendor's own), or bytes that are no HTTP request — to the origin over MiAudit's own TLS connection
/// with the same server name and ALPN, and captures what passes each way up to the capture limit, so the content is
/// evidence and is scanned, where before such a connection failed inside MiAudit while it worked direct.
/// </summary>
internal sealed class DecryptedRelay(UpstreamConnector connector, UpstreamCertificateValidator validator, int captureLimit)
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    public sealed record Result(CapturedBody ClientToServer, CapturedBody ServerToClient, Exception? Failure);

    /// <summary>Whether the decrypted connection is HTTP, which Kestrel serves: by ALPN, else by its first bytes.</summary>
    public static bool IsHttp(string applicationProtocol, ReadOnlySpan<byte> first) =>
        AgreedHttp(applicationProtocol)
        || (applicationProtocol.Length == 0 && (first.StartsWith(Connect.TunnelSniffer.Http2PrefaceStart) || LooksLikeRequestLine(first)));

    /// <summary>Whether the TLS handshake agreed on HTTP by ALPN.</summary>
    public static bool AgreedHttp(string applicationProtocol) => applicationProtocol is "h2" or "http/1.1" or "http/1.0";

    /// <summary>A method token (upper-case letters, as every registered method is) and a space: HTTP/1.x.</summary>
    private static bool LooksLikeRequestLine(ReadOnlySpan<byte> first)
    {
        var space = first[..Math.Min(first.Length, 24)].IndexOf((byte)' ');
        if (space < 3)
        {
            return false;
        }

        foreach (var b in first[..space])
        {
            if (b is < (byte)'A' or > (byte)'Z')
            {
                return false;
            }
        }

        return true;
    }

    /// <param name="client">The decrypted client stream (its first bytes included).</param>
    /// <param name="clientTls">The client's TLS session, shut down (close_notify) when the server stops sending.</param>
    public async Task<Result> RelayAsync(Stream client, SslStream clientTls, string host, int port, string? serverName, string applicationProtocol)
    {
        var up = new BodyCapture(captureLimit, () => null);
        var down = new BodyCapture(captureLimit, () => null);
        SslStream server;
        try
        {
            server = await ConnectAsync(host, port, serverName, applicationProtocol);
        }
        catch (Exception e)
        {
            return new Result(up.ToCapturedBody(ended: false), down.ToCapturedBody(ended: false), e);
        }

        await using (server)
        using (var abort = new CancellationTokenSource())
        {
            var toServer = PumpAsync(client, server, up, abort);
            var toClient = PumpAsync(server, clientTls, down, abort);
            try
            {
                await Task.WhenAll(toServer, toClient);
            }
            catch (Exception)
            {
                // Reported below: the direction that failed, not the one cancelled because of it.
            }

            var failure = new[] { toServer.Exception?.InnerException, toClient.Exception?.InnerException }
                .FirstOrDefault(e => e is not null and not OperationCanceledException);
            return new Result(up.ToCapturedBody(up.EndSeen), down.ToCapturedBody(down.EndSeen), failure);
        }
    }

    private async Task<SslStream> ConnectAsync(string host, int port, string? serverName, string applicationProtocol)
    {
        var socket = await connector.ConnectAsync(host, port, CancellationToken.None);
        var server = new SslStream(new NetworkStream(socket, ownsSocket: true));
        var target = serverName ?? (System.Net.IPAddress.TryParse(host, out _) ? "" : host);
        try
        {
            using var timeout = new CancellationTokenSource(HandshakeTimeout);
            await server.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = target,
                ApplicationProtocols = applicationProtocol.Length == 0
                    ? null
                    : [new SslApplicationProtocol(System.Text.Encoding.Latin1.GetBytes(applicationProtocol))],
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => validator.Validate(target, certificate, chain, errors),
            }, timeout.Token);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Copies one direction; at its end the other side is told with a TLS close_notify, and may still answer.</summary>
    private static async Task PumpAsync(Stream from, SslStream to, BodyCapture capture, CancellationTokenSource abort)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, abort.Token)) > 0)
            {
                capture.Append(buffer.AsSpan(0, read));
                await to.WriteAsync(buffer.AsMemory(0, read), abort.Token);
                await to.FlushAsync(abort.Token);
            }

            capture.End();
            await to.ShutdownAsync();
        }
        catch
        {
            await abort.CancelAsync();
            throw;
        }
    }
}
