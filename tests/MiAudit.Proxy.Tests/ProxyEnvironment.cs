using System.Net;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests;

/// <summary>
/// One TLS origin and one proxy per test class: the origin is certified by a test CA the proxy trusts
/// (as with --upstream-ca), and origin.test and every name below it map to loopback.
/// </summary>
public sealed class ProxyEnvironment : IAsyncLifetime
{
    public TestCertificates OriginCertificates { get; } = new();

    public TlsOrigin Origin { get; private set; } = null!;

    public InProcessProxy Proxy { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var certificate = OriginCertificates.CreateServerCertificate(
            TlsOrigin.HostName, "*." + TlsOrigin.HostName, "under_score.origin.test", "localhost", "127.0.0.1");
        Origin = await TlsOrigin.StartAsync(certificate);
        Proxy = await InProcessProxy.StartAsync(options =>
        {
            options.UpstreamTrustedCas.Add(OriginCertificates.PublicAuthority);
            options.PassthroughHosts.Add("pass.origin.test");
            options.UpstreamActivityTimeout = TimeSpan.FromSeconds(3);
            // Short enough for the server-speaks-first test, long enough that a client delayed by a loaded 2-core CI
            // machine still gets its ClientHello intercepted rather than relayed as opaque bytes.
            options.TunnelSniffTimeout = TimeSpan.FromSeconds(2);
            options.BodyCaptureLimit = 1024 * 1024;
        });
    }

    public HttpClient Client(Version? version = null, HttpVersionPolicy policy = HttpVersionPolicy.RequestVersionOrLower) =>
        Proxy.CreateClient(version, policy);

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Origin.DisposeAsync();
        OriginCertificates.Dispose();
    }

    public string Https(string pathAndQuery, string host = TlsOrigin.HostName) => $"https://{host}:{Origin.HttpsPort}{pathAndQuery}";

    public string Http(string pathAndQuery, string host = TlsOrigin.HostName) => $"http://{host}:{Origin.HttpPort}{pathAndQuery}";

    public IPEndPoint ProxyEndPoint => Proxy.EndPoint;
}
