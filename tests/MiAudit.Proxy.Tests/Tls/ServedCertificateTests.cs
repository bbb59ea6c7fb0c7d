using System.Security.Cryptography.X509Certificates;

namespace MiAudit.Proxy.Tests.Tls;

/// <summary>The certificate a real client receives through the proxy.</summary>
public class ServedCertificateTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Fact]
    public async Task The_client_gets_a_leaf_for_its_sni_name_chained_to_the_miaudit_ca()
    {
        X509Certificate2? served = null;
        var handler = env.Proxy.CreateHandler();
        var validate = handler.SslOptions.RemoteCertificateValidationCallback!;
        handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, x509Chain, errors) =>
        {
            served = new X509Certificate2(certificate!);
            return validate(sender, certificate, x509Chain, errors);
        };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(env.Https("/echo", "shop.origin.test"));

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal(["shop.origin.test"], served!.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.Equal(env.Proxy.Authority.Certificate.Subject, served.Issuer);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(env.Proxy.Authority.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(served));
    }
}
