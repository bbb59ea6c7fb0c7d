using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace MiAudit.Proxy.Tests;

public class CertificatePageTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Theory]
    [InlineData("http://miaudit.cert/")]
    [InlineData("https://miaudit.cert/")]
    public async Task The_magic_host_serves_install_instructions(string url)
    {
        using var client = env.Client();
        var html = await client.GetStringAsync(url);

        Assert.Contains("Install the MiAudit CA", html);
        Assert.Contains("href=\"/miaudit-ca.crt\"", html);
        Assert.Contains(env.Proxy.Authority.Sha256Fingerprint, html);
        Assert.DoesNotContain("PRIVATE KEY", html);
    }

    [Fact]
    public async Task The_magic_host_serves_the_ca_as_der_and_pem_and_never_the_key()
    {
        using var client = env.Client();
        using var der = await client.GetAsync("http://miaudit.cert/miaudit-ca.crt");
        var derBytes = await der.Content.ReadAsByteArrayAsync();
        var pem = await client.GetStringAsync("http://miaudit.cert/miaudit-ca.pem");
        using var key = await client.GetAsync("http://miaudit.cert/miaudit-ca-key.pem");

        Assert.Equal("application/x-x509-ca-cert", der.Content.Headers.ContentType!.MediaType);
        Assert.Equal(env.Proxy.Authority.Certificate.Thumbprint, X509CertificateLoader.LoadCertificate(derBytes).Thumbprint);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem);
        Assert.DoesNotContain("PRIVATE", pem);
        Assert.Equal(HttpStatusCode.NotFound, key.StatusCode);
        Assert.DoesNotContain("PRIVATE", await key.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_request_addressed_to_the_proxy_itself_shows_the_same_page()
    {
        using var http = new HttpClient();
        var html = await http.GetStringAsync(env.Proxy.ProxyUri);

        Assert.Contains("Install the MiAudit CA", html);
    }
}
