using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// The facts Kestrel chooses a connection's HTTP version from. Kestrel reads ALPN only on a connection that has
/// <see cref="ITlsConnectionFeature"/>; without one it speaks HTTP/1.1 whatever the client sends. MiAudit terminates
/// TLS itself (and serves h2c with prior knowledge inside tunnels), so it sets them: the protocol the handshake chose,
/// or "h2" when the client opened with the HTTP/2 preface.
/// </summary>
internal sealed class TlsConnectionFeatures(ReadOnlyMemory<byte> applicationProtocol) : ITlsConnectionFeature, ITlsApplicationProtocolFeature
{
    private static readonly ReadOnlyMemory<byte> Http2 = "h2"u8.ToArray();

    public X509Certificate2? ClientCertificate { get; set; }

    public ReadOnlyMemory<byte> ApplicationProtocol { get; } = applicationProtocol;

    /// <summary>The negotiated protocol; with none negotiated, what the client's first bytes say.</summary>
    public static TlsConnectionFeatures For(ReadOnlyMemory<byte> negotiated, ReadOnlySpan<byte> firstBytes) =>
        new(negotiated.IsEmpty && firstBytes.StartsWith(Connect.TunnelSniffer.Http2PrefaceStart) ? Http2 : negotiated);

    /// <summary>A cleartext connection that opened with the HTTP/2 preface.</summary>
    public static TlsConnectionFeatures PriorKnowledge() => new(Http2);

    /// <summary>Sets both features on the connection.</summary>
    public void SetOn(IFeatureCollection features)
    {
        features.Set<ITlsConnectionFeature>(this);
        features.Set<ITlsApplicationProtocolFeature>(this);
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(ClientCertificate);
}
