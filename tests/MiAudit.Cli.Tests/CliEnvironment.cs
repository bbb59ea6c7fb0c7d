using System.Net;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// A TLS origin answering for real-looking names on loopback, and a way to start real <c>miaudit run</c> processes
/// in front of it (one per test class, or one per test where the flags differ).
/// </summary>
public sealed class CliEnvironment : IAsyncLifetime
{
    public const string NewsHost = "news.site-a.test";
    public const string TrackerHost = "sa.tracker-b.test";

    public TestCertificates OriginCertificates { get; } = new();

    public TemporaryDirectory WorkDirectory { get; } = new("miaudit-cli");

    public TlsOrigin Origin { get; private set; } = null!;

    public string OriginCaFile => WorkDirectory.File("origin-ca.pem");

    public async Task InitializeAsync()
    {
        Origin = await TlsOrigin.StartAsync(OriginCertificates.CreateServerCertificate(TlsOrigin.HostName, NewsHost, TrackerHost));
        await File.WriteAllTextAsync(OriginCaFile, OriginCertificates.AuthorityPem);
    }

    public string Https(string host, string pathAndQuery) => $"https://{host}:{Origin.HttpsPort}{pathAndQuery}";

    /// <summary>Starts <c>miaudit run</c> on a free loopback port with the origin's names mapped and its CA trusted.</summary>
    public async Task<RunningProxy> StartProxyAsync(string workDirectory, params string[] extraArguments)
    {
        Directory.CreateDirectory(workDirectory);
        var process = MiAuditProcess.Start(workDirectory,
        [
            "run", "--listen", "127.0.0.1:0", "--allow-loopback-upstream",
            "--map-host", $"{TlsOrigin.HostName}=127.0.0.1",
            "--map-host", $"{NewsHost}=127.0.0.1",
            "--map-host", $"{TrackerHost}=127.0.0.1",
            "--upstream-ca", OriginCaFile,
            .. extraArguments,
        ]);
        var endPoint = await process.WaitForListeningAsync();
        return new RunningProxy(process, endPoint, Path.Combine(workDirectory, "certs"), workDirectory);
    }

    public async Task DisposeAsync()
    {
        await Origin.DisposeAsync();
        OriginCertificates.Dispose();
        WorkDirectory.Dispose();
    }
}

/// <summary>A running <c>miaudit run</c> process and what tests need to talk through it.</summary>
public sealed record RunningProxy(MiAuditProcess Process, IPEndPoint EndPoint, string CertsDirectory, string WorkDirectory) : IAsyncDisposable
{
    public string Database => Path.Combine(WorkDirectory, "miaudit.db");

    /// <summary>An HttpClient through the proxy, trusting the CA it created, sending headers as Chrome would.</summary>
    public HttpClient CreateClient(int maxConnections = 8)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(CertsDirectory, "miaudit-ca.pem"));
        var handler = new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://{EndPoint}"),
            UseCookies = false,
            MaxConnectionsPerServer = maxConnections,
            SslOptions = { RemoteCertificateValidationCallback = InProcessProxy.TrustsOnly(ca) },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
