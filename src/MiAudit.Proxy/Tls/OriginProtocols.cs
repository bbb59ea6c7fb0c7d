using System.Collections.Concurrent;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using MiAudit.Proxy.Forwarding;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Learns which application protocol an origin chooses from a client's ALPN offer, so MiAudit offers the client only
/// that: an HTTP/1.1-only origin then meets an HTTP/1.1 client (with its header case and fields), not an HTTP/2
/// client translated by the proxy, and a protocol MiAudit does not serve is agreed only where the origin agrees to it.
/// The answer comes from a TLS handshake with the origin carrying the client's own offer (the way mitmproxy connects
/// upstream first), and is kept for a while per origin, name and offer, so a page's many connections ask once.
/// </summary>
public sealed class OriginProtocols(UpstreamConnector connector, TimeProvider clock, ILogger<OriginProtocols> logger)
{
    /// <summary>How long an origin's choice is trusted; servers change configuration rarely, and a stale answer only costs a version fallback.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan FailureLifetime = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    // Bounded: clients choose the offers, and a hostile one could send a new list on every connection.
    private const int MaxEntries = 4096;

    private readonly ConcurrentDictionary<string, Entry> _answers = new();

    /// <summary>What the origin chose: a protocol name, <see cref="None"/> when it answered without ALPN, or null when it could not be asked.</summary>
    public const string None = "";

    public async Task<string?> ChooseAsync(string host, int port, string? serverName, IReadOnlyList<string> offer, CancellationToken cancellationToken)
    {
        var key = $"{host}:{port}|{serverName}|{string.Join('\n', offer)}";
        var now = clock.GetUtcNow();
        if (_answers.TryGetValue(key, out var known) && known.Expires > now)
        {
            return await known.Answer.WaitAsync(cancellationToken);
        }

        if (_answers.Count >= MaxEntries)
        {
            _answers.Clear();
        }

        var entry = _answers.AddOrUpdate(key, _ => new Entry(AskAsync(host, port, serverName, offer), now + Lifetime),
            (_, old) => old.Expires > now ? old : new Entry(AskAsync(host, port, serverName, offer), now + Lifetime));
        var answer = await entry.Answer.WaitAsync(cancellationToken);
        if (answer is null)
        {
            // Unreachable now is no answer for later, but a page's burst of connections should not each wait for it.
            _answers.TryUpdate(key, entry with { Expires = clock.GetUtcNow() + FailureLifetime }, entry);
        }

        return answer;
    }

    private async Task<string?> AskAsync(string host, int port, string? serverName, IReadOnlyList<string> offer)
    {
        try
        {
            using var socket = await connector.ConnectAsync(host, port, CancellationToken.None);
            await using var ssl = new SslStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: false));
            using var timeout = new CancellationTokenSource(HandshakeTimeout);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = serverName ?? (System.Net.IPAddress.TryParse(host, out _) ? "" : host),
                ApplicationProtocols = offer.Select(p => new SslApplicationProtocol(System.Text.Encoding.Latin1.GetBytes(p))).ToList(),
                // Only the protocol is learned here; the forwarded connection validates the certificate for real.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, timeout.Token);
            var chosen = ssl.NegotiatedApplicationProtocol.Protocol;
            return chosen.IsEmpty ? None : System.Text.Encoding.Latin1.GetString(chosen.Span);
        }
        catch (Exception e)
        {
            // The forwarded request meets the same failure and records it; here it only means "not known".
            logger.LogDebug("Could not ask {Host}:{Port} which protocol it chooses: {Reason}", host, port, e.Message);
            return null;
        }
    }

    private sealed record Entry(Task<string?> Answer, DateTimeOffset Expires);
}
