using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>A TLS origin and one real <c>miaudit run</c> process in front of it, per test class.</summary>
public sealed class CliEnvironment : IAsyncLifetime
{
    public TestCertificates OriginCertificates { get; } = new();

    public TemporaryDirectory WorkDirectory { get; } = new("miaudit-cli");

    public TlsOrigin Origin { get; private set; } = null!;

    public MiAuditProcess Proxy { get; private set; } = null!;

    public System.Net.IPEndPoint ProxyEndPoint { get; private set; } = null!;

    public string OriginCaFile => WorkDirectory.File("origin-ca.pem");

    public string CertsDirectory => WorkDirectory.File("certs");

    public async Task InitializeAsync()
    {
        Origin = await TlsOrigin.StartAsync(OriginCertificates.CreateServerCertificate(TlsOrigin.HostName));
        await File.WriteAllTextAsync(OriginCaFile, OriginCertificates.AuthorityPem);
        Proxy = MiAuditProcess.Start(WorkDirectory.Path,
        [
            "run", "--listen", "127.0.0.1:0",
            "--map-host", $"{TlsOrigin.HostName}=127.0.0.1",
            "--upstream-ca", OriginCaFile,
            "--certs-dir", CertsDirectory,
        ]);
        ProxyEndPoint = await Proxy.WaitForListeningAsync();
    }

    /// <summary>An HttpClient through the proxy process, trusting the CA it created.</summary>
    public HttpClient CreateClient()
    {
        var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(
            Path.Combine(CertsDirectory, "miaudit-ca.pem"));
        var handler = new SocketsHttpHandler
        {
            Proxy = new System.Net.WebProxy($"http://{ProxyEndPoint}"),
            SslOptions = { RemoteCertificateValidationCallback = InProcessProxy.TrustsOnly(ca) },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Origin.DisposeAsync();
        OriginCertificates.Dispose();
        WorkDirectory.Dispose();
    }
}
