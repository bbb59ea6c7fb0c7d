using System.Net;
using System.Text;
using System.Text.Json;
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

    /// <summary>The Android ID of <see cref="PhoneDirectory"/>'s profile, leaked by <see cref="BrowseAndLeakAsync"/>.</summary>
    public const string AndroidId = "3f8a6b2c1d4e5f60";

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

    /// <summary>A fresh working directory holding a device profile (phone.yaml) with <see cref="AndroidId"/>.</summary>
    public string PhoneDirectory(string name)
    {
        var dir = WorkDirectory.File(name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "phone.yaml"), $"identifiers:\n  android_id: {AndroidId}\n");
        return dir;
    }

    /// <summary>A navigation, the page's telemetry (URL and Android ID in a JS-SDK style beacon), and an ordinary request.</summary>
    public async Task BrowseAndLeakAsync(HttpClient client)
    {
        var page = Https(CliEnvironment.NewsHost, "/html/article-7?ref=home");
        using (var navigation = new HttpRequestMessage(HttpMethod.Get, page))
        {
            navigation.Headers.Add("Sec-Fetch-Mode", "navigate");
            navigation.Headers.Add("Sec-Fetch-Dest", "document");
            navigation.Headers.Add("Cookie", "session=abc");
            (await client.SendAsync(navigation)).EnsureSuccessStatusCode();
        }

        var @event = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["event"] = "$pageview",
            ["properties"] = new Dictionary<string, string> { ["$url"] = page, ["$device_id"] = AndroidId },
        });
        var data = Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes(@event)));
        using (var beacon = new HttpRequestMessage(HttpMethod.Get, Https(CliEnvironment.TrackerHost, $"/echo/sa.gif?project=p&data={data}&ext=crc%3D1")))
        {
            beacon.Headers.Add("X-Secret", "token");
            (await client.SendAsync(beacon)).EnsureSuccessStatusCode();
        }

        (await client.GetAsync(Https(CliEnvironment.NewsHost, "/html/style"))).EnsureSuccessStatusCode();
    }

    /// <summary>Starts <c>miaudit run</c> on a free loopback port with the origin's names mapped and its CA trusted.</summary>
    public Task<RunningProxy> StartProxyAsync(string workDirectory, params string[] extraArguments) =>
        StartProxyAsync(workDirectory, null, extraArguments);

    /// <param name="binary">Another miaudit than the built one, and what launches it (see <see cref="MiAuditProcess.Start"/>).</param>
    public Task<RunningProxy> StartProxyAsync(string workDirectory, ProxyBinary? binary, params string[] extraArguments) =>
        StartProxyAsync(workDirectory, binary, null, extraArguments);

    /// <param name="environment">Extra environment variables of the process (e.g. <c>MIAUDIT_DB</c>).</param>
    public async Task<RunningProxy> StartProxyAsync(string workDirectory, ProxyBinary? binary, IDictionary<string, string>? environment, params string[] extraArguments)
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
        ], environment, launcher: binary?.Launcher, executable: binary?.Executable);
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

/// <summary>A miaudit executable other than the built <c>miaudit.dll</c>, and the command that launches it.</summary>
public sealed record ProxyBinary(string Executable, IReadOnlyList<string>? Launcher = null);

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
