using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Proxy;
using MiAudit.Proxy.Tls;

namespace MiAudit.Testing;

/// <summary>A real <see cref="ProxyServer"/> on a loopback port with its own CA in a temporary folder.</summary>
public sealed class InProcessProxy : IAsyncDisposable
{
    private InProcessProxy(ProxyServer server, CertificateAuthority authority, TemporaryDirectory certs, RecordingObserver flows, CapturingLoggerProvider logs)
    {
        Server = server;
        Authority = authority;
        CertsDirectory = certs;
        Flows = flows;
        Logs = logs;
    }

    public ProxyServer Server { get; }

    public CertificateAuthority Authority { get; }

    public TemporaryDirectory CertsDirectory { get; }

    public RecordingObserver Flows { get; }

    public CapturingLoggerProvider Logs { get; }

    public IPEndPoint EndPoint => Server.BoundEndPoints[0];

    public Uri ProxyUri => new($"http://{EndPoint}");

    /// <summary>Starts a proxy on 127.0.0.1 with <c>origin.test</c> (and any name below it) mapped to loopback.</summary>
    public static async Task<InProcessProxy> StartAsync(Action<ProxyOptions>? configure = null)
    {
        var certs = new TemporaryDirectory("miaudit-certs");
        var authority = CertificateAuthority.LoadOrCreate(certs.Path);
        // Test origins live on loopback, which the proxy refuses by default.
        var options = new ProxyOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), AllowLoopbackUpstream = true };
        options.HostMap.Add(TlsOrigin.HostName, IPAddress.Loopback);
        options.HostMap.Add("*." + TlsOrigin.HostName, IPAddress.Loopback);
        configure?.Invoke(options);
        var flows = new RecordingObserver();
        var logs = new CapturingLoggerProvider();
        var server = ProxyServer.Create(options, authority, [flows], logs.CreateFactory());
        await server.StartAsync();
        return new InProcessProxy(server, authority, certs, flows, logs);
    }

    /// <summary>An HttpClient that uses the proxy and trusts MiAudit's CA (and nothing else).</summary>
    public HttpClient CreateClient(Version? version = null, HttpVersionPolicy policy = HttpVersionPolicy.RequestVersionOrLower) =>
        new(CreateHandler(), disposeHandler: true)
        {
            DefaultRequestVersion = version ?? HttpVersion.Version11,
            DefaultVersionPolicy = policy,
            Timeout = TimeSpan.FromSeconds(60),
        };

    public SocketsHttpHandler CreateHandler() => new()
    {
        Proxy = new WebProxy(ProxyUri),
        UseProxy = true,
        UseCookies = false,
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustsOnly(Authority.Certificate) },
    };

    /// <summary>Validation that accepts exactly the chains ending at <paramref name="root"/>, with the name checked.</summary>
    public static RemoteCertificateValidationCallback TrustsOnly(X509Certificate2 root) => (_, certificate, _, errors) =>
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(root.Export(X509ContentType.Cert)));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    };

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Authority.Dispose();
        CertsDirectory.Dispose();
    }
}
