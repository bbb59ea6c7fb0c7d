using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Verifies server certificates against the system trust store plus any CAs the researcher added
/// (<c>--upstream-ca</c>). A rejection throws with the precise reason, which the phone then sees in the 502 page.
/// </summary>
public sealed class UpstreamCertificateValidator(X509Certificate2Collection extraAuthorities, bool insecure)
{
    public bool Insecure => insecure;

    public bool Validate(string targetHost, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (insecure || errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            throw new UpstreamCertificateException(targetHost, "the server sent no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            throw new UpstreamCertificateException(targetHost, $"the certificate is not valid for '{targetHost}'");
        }

        if (extraAuthorities.Count > 0 && ChainsToExtraAuthority(certificate, chain))
        {
            return true;
        }

        var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct() ?? [];
        throw new UpstreamCertificateException(targetHost, $"the certificate chain is not trusted ({string.Join(", ", status)})");
    }

    private bool ChainsToExtraAuthority(X509Certificate certificate, X509Chain? systemChain)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(extraAuthorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (systemChain is not null)
        {
            foreach (var element in systemChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}

/// <summary>The server's certificate failed verification; the message names the host and the reason.</summary>
public sealed class UpstreamCertificateException(string host, string reason)
    : Exception($"TLS verification of {host} failed: {reason}")
{
    public string Host { get; } = host;
    public string Reason { get; } = reason;
}
