using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Mints a leaf certificate per host, signed by the CA. One ECDSA P-256 key serves every leaf
/// (generating keys is the expensive part; mitmproxy makes the same choice).
/// </summary>
public sealed class LeafCertificateFactory : IDisposable
{
    private static readonly TimeSpan Backdate = TimeSpan.FromDays(2);
    private static readonly TimeSpan Validity = TimeSpan.FromDays(365);

    private readonly CertificateAuthority _authority;
    private readonly ECDsa _leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509AuthorityKeyIdentifierExtension _authorityKeyId;
    private readonly TimeProvider _clock;

    public LeafCertificateFactory(CertificateAuthority authority, TimeProvider? clock = null)
    {
        _authority = authority;
        _clock = clock ?? TimeProvider.System;
        _authorityKeyId = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority.Certificate, true, false);
    }

    /// <summary>A certificate for <paramref name="host"/> (a DNS name or IP address) with its private key.</summary>
    public X509Certificate2 Create(string host)
    {
        var request = new CertificateRequest(Subject(host), _leafKey, HashAlgorithmName.SHA256);
        if (AlternativeName(host) is { } san)
        {
            request.CertificateExtensions.Add(san);
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(_authorityKeyId);

        var now = _clock.GetUtcNow();
        var notAfter = now.Add(Validity);
        if (notAfter > _authority.Certificate.NotAfter)
        {
            notAfter = _authority.Certificate.NotAfter.ToUniversalTime();
        }

        using var signed = request.Create(_authority.Certificate, now.Subtract(Backdate), notAfter, NewSerialNumber());
        return signed.CopyWithPrivateKey(_leafKey);
    }

    /// <summary>The SAN for a DNS name or IP address; null for a name no DNS name can be (a client's odd SNI).</summary>
    private static X509Extension? AlternativeName(string host)
    {
        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host, out var address))
        {
            san.AddIpAddress(address);
            return san.Build();
        }

        try
        {
            san.AddDnsName(host);
            return san.Build();
        }
        catch (ArgumentException)
        {
            return null; // no client can match such a name anyway; the certificate still lets the handshake finish
        }
    }

    /// <summary>
    /// The subject, built attribute by attribute: the name comes from the client (SNI or CONNECT), and parsing it as
    /// part of a DN string would let <c>a,O=Evil.test</c> add attributes of its own.
    /// </summary>
    private static X500DistinguishedName Subject(string host)
    {
        var subject = new X500DistinguishedNameBuilder();
        if (host.Length <= 64) // RFC 5280's cap on CN; clients read the SAN anyway
        {
            subject.AddCommonName(host);
        }

        subject.AddOrganizationName("MiAudit interception");
        return subject.Build();
    }

    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive, as DER INTEGER serials must be
        serial[0] |= 0x01; // and never shorter than 16 bytes once encoded
        return serial;
    }

    public void Dispose() => _leafKey.Dispose();
}
