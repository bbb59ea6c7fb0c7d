namespace MiAudit.Proxy.Tls;

/// <summary>
/// Tells a client's refusal of MiAudit's certificate from everything else that ends a handshake: a TLS alert in which
/// the client rejects the certificate (as OpenSSL names them in the error the handshake or first read fails with), or
/// — decided by <see cref="TlsInterceptor"/> — a reset after our certificate was sent and before the handshake
/// completed. A clean close, during the handshake or after it (a browser's spare connection), an ALPN MiAudit cannot
/// serve (our own alert), malformed records and timeouts are not refusals: learning from those made MiAudit stop
/// decrypting hosts an ordinary browser loads.
/// </summary>
internal static class CertificateRefusal
{
    /// <summary>The name for a client that reset the connection after our certificate, before finishing the handshake.</summary>
    public const string ResetDuringHandshake = "reset_during_handshake";

    private static readonly string[] Alerts =
    [
        "unknown ca", "bad certificate", "certificate unknown", "unsupported certificate", "certificate expired",
        "certificate revoked", "access denied", "bad_certificate", "unknown_ca", "certificate_unknown",
    ];

    /// <summary>The alert's name when <paramref name="failure"/> is the client refusing our certificate, else null.</summary>
    public static string? Alert(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            foreach (var alert in Alerts)
            {
                if (e.Message.Contains(alert, StringComparison.OrdinalIgnoreCase))
                {
                    return alert.Replace(' ', '_');
                }
            }
        }

        return null;
    }
}
