using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http.Features;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// The TLS facts Kestrel looks for on a connection. Without <see cref="ITlsApplicationProtocolFeature"/> saying "h2",
/// Kestrel treats the decrypted stream as cleartext HTTP/1.1 and HTTP/2 clients fail.
/// </summary>
internal sealed class TlsConnectionFeatures(SslStream stream) : ITlsConnectionFeature, ITlsApplicationProtocolFeature
{
    public X509Certificate2? ClientCertificate { get; set; }

    public ReadOnlyMemory<byte> ApplicationProtocol { get; } = stream.NegotiatedApplicationProtocol.Protocol;

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) =>
        Task.FromResult(ClientCertificate);
}
