namespace MiAudit.Flows;

/// <summary>
/// What the TLS handshake between the client and MiAudit negotiated; for a tunnel MiAudit did not decrypt (or whose
/// handshake failed), what the client's hello said: its server name and fingerprint, with no protocol agreed.
/// </summary>
/// <param name="ServerName">The SNI the client sent, if any.</param>
/// <param name="ApplicationProtocol">The ALPN protocol agreed on (<c>h2</c>, <c>http/1.1</c>) or empty.</param>
/// <param name="Protocol">The TLS version, e.g. <c>Tls13</c>.</param>
public sealed record ClientTls(string? ServerName, string ApplicationProtocol, string Protocol)
{
    /// <summary>The JA4 fingerprint of the client's ClientHello (which app or browser it was); null when not read.</summary>
    public string? Fingerprint { get; init; }
}
