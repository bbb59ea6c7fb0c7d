using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Proxy.Tls;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Tls;

public sealed class LeafCertificateTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new();
    private readonly CertificateAuthority _authority;
    private readonly LeafCertificateFactory _factory;

    public LeafCertificateTests()
    {
        _authority = CertificateAuthority.LoadOrCreate(_dir.Path);
        _factory = new LeafCertificateFactory(_authority);
    }

    [Fact]
    public void A_leaf_has_the_san_eku_validity_and_chain_browsers_require()
    {
        using var leaf = _factory.Create("news.example.com");

        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["news.example.com"], san.EnumerateDnsNames());
        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Contains(eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(), oid => oid.Value == "1.3.6.1.5.5.7.3.1");
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        var aki = leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single();
        var ski = _authority.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();
        Assert.Equal(ski.SubjectKeyIdentifierBytes.ToArray(), aki.KeyIdentifier!.Value.ToArray());
        Assert.InRange((DateTime.UtcNow - leaf.NotBefore.ToUniversalTime()).TotalHours, 47, 49);
        Assert.InRange((leaf.NotAfter - leaf.NotBefore).TotalDays, 366, 368);
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal("ECDsa", leaf.GetECDsaPublicKey()!.SignatureAlgorithm);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_authority.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf), string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void Ip_hosts_get_an_ip_address_san()
    {
        using var leaf = _factory.Create("10.1.2.3");
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal([IPAddress.Parse("10.1.2.3")], san.EnumerateIPAddresses());
    }

    [Fact]
    public void Names_with_underscores_and_long_names_are_certified()
    {
        var longName = string.Join('.', Enumerable.Repeat("abcdefghij", 9)) + ".example.com";
        using var underscore = _factory.Create("under_score.example.com");
        using var longLeaf = _factory.Create(longName);

        Assert.Equal(["under_score.example.com"], underscore.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Equal([longName], longLeaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
    }

    [Theory]
    [InlineData("a,O=Evil.test")]
    [InlineData("a+O=Evil.test")]
    [InlineData("a\", O=Evil.test")]
    [InlineData("a;O=Evil.test")]
    [InlineData("a\nO=Evil.test")]
    public void A_client_chosen_name_cannot_add_attributes_to_the_subject(string host)
    {
        using var leaf = _factory.Create(host);

        var attributes = leaf.SubjectName.EnumerateRelativeDistinguishedNames().ToList();
        Assert.Equal("MiAudit interception", Assert.Single(attributes, a => a.GetSingleElementType().Value == "2.5.4.10").GetSingleElementValue());
        Assert.Equal(host, Assert.Single(attributes, a => a.GetSingleElementType().Value == "2.5.4.3").GetSingleElementValue());
    }

    [Fact]
    public void All_leaves_share_one_key()
    {
        using var a = _factory.Create("a.example.com");
        using var b = _factory.Create("b.example.com");
        Assert.Equal(a.GetPublicKey(), b.GetPublicKey());
    }

    [Fact]
    public void The_cache_holds_at_most_its_capacity_and_reuses_hits()
    {
        var cache = new LeafCertificateCache(_factory, _authority.Certificate, capacity: 3);
        var first = cache.Get("a.example");
        Assert.Same(first, cache.Get("A.EXAMPLE."));

        foreach (var host in new[] { "b.example", "c.example", "d.example", "e.example" })
        {
            cache.Get(host);
        }

        Assert.Equal(3, cache.Count);
        Assert.Equal(5, cache.Minted);
        Assert.NotSame(first, cache.Get("a.example")); // evicted, minted again
        Assert.Equal(6, cache.Minted);
    }

    [Fact]
    public void Least_recently_used_leaves_are_evicted_first()
    {
        var cache = new LeafCertificateCache(_factory, _authority.Certificate, capacity: 2);
        var a = cache.Get("a.example");
        cache.Get("b.example");
        cache.Get("a.example"); // a is now the most recent
        cache.Get("c.example"); // evicts b

        Assert.Same(a, cache.Get("a.example"));
        Assert.Equal(3, cache.Minted);
    }

    public void Dispose()
    {
        _factory.Dispose();
        _authority.Dispose();
        _dir.Dispose();
    }
}
