using System.Net.Security;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Which ALPN protocols MiAudit answers a client's offer with: what the origin chose from that same offer, so each
/// side speaks the version it would speak without MiAudit in between.
/// </summary>
public static class AlpnOffer
{
    private const string Http11 = "http/1.1";

    /// <summary>
    /// The offer to put to the origin, or null when nothing needs asking: no ALPN, or HTTP/1.1 alone, is served as
    /// HTTP/1.1 whatever the origin speaks. Without HTTP/2 (<c>--no-http2</c>) h2 is left out of the question.
    /// </summary>
    public static IReadOnlyList<string>? Question(IReadOnlyList<string> clientOffer, bool http2)
    {
        var question = http2 ? clientOffer : clientOffer.Where(p => p != "h2").ToList();
        return question.Count == 0 || question.All(p => p == Http11) ? null : question;
    }

    /// <summary>
    /// What the client is offered. <paramref name="originChoice"/> is the origin's answer to <see cref="Question"/>:
    /// a protocol, <see cref="OriginProtocols.None"/> (the origin does no ALPN, so neither does MiAudit), or null when
    /// the origin could not be asked (the forwarded request will meet and record that failure): then the HTTP versions
    /// MiAudit serves.
    /// </summary>
    public static List<SslApplicationProtocol>? ForClient(IReadOnlyList<string> clientOffer, bool http2, string? originChoice)
    {
        if (clientOffer.Count == 0)
        {
            return null;
        }

        if (originChoice == OriginProtocols.None)
        {
            return null;
        }

        if (originChoice is not null)
        {
            return [Protocol(originChoice)];
        }

        // Nothing learned: the HTTP versions MiAudit serves. A client that offers none of them gets no ALPN answer
        // rather than an alert, so its request still reaches the forwarder, which records why the origin failed.
        List<SslApplicationProtocol> served = http2 ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http11];
        return served.Any(p => clientOffer.Contains(p.ToString())) ? served : null;
    }

    private static SslApplicationProtocol Protocol(string name) => name switch
    {
        "h2" => SslApplicationProtocol.Http2,
        Http11 => SslApplicationProtocol.Http11,
        _ => new SslApplicationProtocol(System.Text.Encoding.Latin1.GetBytes(name)),
    };
}
