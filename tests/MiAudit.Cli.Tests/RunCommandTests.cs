using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

public class RunCommandTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task The_startup_banner_names_the_certificate_page_and_the_ca()
    {
        await using var proxy = await env.StartProxyAsync(env.WorkDirectory.File("banner"));
        using var client = proxy.CreateClient();
        using var response = await client.GetAsync($"{env.Origin.HttpsBase}/echo/banner");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("http://miaudit.cert/", proxy.Process.Output);
        Assert.Contains("CA SHA-256:", proxy.Process.Output);
        Assert.Contains("Created a new MiAudit root CA", proxy.Process.Output);
    }

    [Fact]
    public async Task Streaming_a_large_download_and_upload_does_not_grow_the_proxy_by_their_size()
    {
        const long size = 256L * 1024 * 1024;
        await using var proxy = await env.StartProxyAsync(env.WorkDirectory.File("memory"));
        using var client = proxy.CreateClient();
        using (var warmup = await client.GetAsync($"{env.Origin.HttpsBase}/bytes?n=1024"))
        {
            warmup.EnsureSuccessStatusCode();
        }

        var before = proxy.Process.ResidentBytes;

        using (var download = await client.GetAsync($"{env.Origin.HttpsBase}/bytes?n={size}", HttpCompletionOption.ResponseHeadersRead))
        await using (var body = await download.Content.ReadAsStreamAsync())
        {
            var buffer = new byte[256 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                total += read;
            }

            Assert.Equal(size, total);
        }

        using (var upload = await client.PostAsync($"{env.Origin.HttpsBase}/upload", new PatternContent(size)))
        {
            Assert.Contains($"\"length\":{size}", await upload.Content.ReadAsStringAsync());
        }

        var peak = proxy.Process.PeakResidentBytes;
        // 512 MiB went through; the proxy may keep its capture limit (4 MiB per body) and buffers, not the bodies.
        Assert.True(peak - before < 160L * 1024 * 1024, $"peak RSS {peak >> 20} MiB vs {before >> 20} MiB before streaming 512 MiB");
    }

    /// <summary>A request body generated while it is sent, so the test itself does not hold it in memory.</summary>
    private sealed class PatternContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = TlsOrigin.Pattern(251 * 256);
            for (long sent = 0; sent < length;)
            {
                var count = (int)Math.Min(chunk.Length, length - sent);
                await stream.WriteAsync(chunk.AsMemory(0, count));
                sent += count;
            }
        }

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return true;
        }
    }
}

/// <summary>Runs that end on their own: errors, signals, the ca command.</summary>
public class RunLifecycleTests
{
    [Fact]
    public async Task A_busy_port_exits_non_zero_with_a_one_line_reason()
    {
        using var dir = new TemporaryDirectory();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;

        var (exitCode, _, stderr) = await MiAuditProcess.RunAsync(dir.Path, "run", "--listen", $"127.0.0.1:{port}", "--certs-dir", dir.File("certs"));

        Assert.Equal(1, exitCode);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--map-host", "no-address-here", "--map-host")]
    [InlineData("--listen", "not-an-address", "--listen")]
    [InlineData("--capture-limit", "lots", "not a size")]
    [InlineData("--passthrough", "a.*.com", "--passthrough")]
    public async Task Bad_arguments_exit_2_with_a_one_line_reason(string option, string value, string expected)
    {
        using var dir = new TemporaryDirectory();
        var (exitCode, _, stderr) = await MiAuditProcess.RunAsync(dir.Path, "run", option, value, "--certs-dir", dir.File("certs"));

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task An_exposed_ca_key_stops_the_start_with_the_fix()
    {
        using var dir = new TemporaryDirectory();
        var certs = dir.File("certs");
        Assert.Equal(0, (await MiAuditProcess.RunAsync(dir.Path, "ca", "export", "--certs-dir", certs)).ExitCode);
        File.SetUnixFileMode(Path.Combine(certs, "miaudit-ca-key.pem"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var (exitCode, _, stderr) = await MiAuditProcess.RunAsync(dir.Path, "run", "--listen", "127.0.0.1:0", "--certs-dir", certs);

        Assert.Equal(1, exitCode);
        Assert.Contains("chmod 600", stderr);
    }

    [Fact]
    public async Task Sigterm_stops_gracefully_and_a_restart_reuses_the_ca()
    {
        using var dir = new TemporaryDirectory();
        string[] args = ["run", "--listen", "127.0.0.1:0", "--certs-dir", dir.File("certs")];
        await using (var first = MiAuditProcess.Start(dir.Path, args))
        {
            await first.WaitForListeningAsync();
            Assert.Equal(0, await first.StopAsync());
            Assert.Contains("Stopped", first.Output);
            Assert.Contains("(new: install it on the phone)", first.Output);
        }

        var fingerprint = File.ReadAllText(Path.Combine(dir.Path, "certs", "miaudit-ca.pem"));
        await using var second = MiAuditProcess.Start(dir.Path, args);
        await second.WaitForListeningAsync();
        Assert.DoesNotContain("(new: install it on the phone)", second.Output);
        Assert.Equal(fingerprint, File.ReadAllText(Path.Combine(dir.Path, "certs", "miaudit-ca.pem")));

        // Both runs in one minute got the default label "session <start time>": the second is made unique, not refused.
        using var database = MiAudit.Storage.AuditDatabase.Open(Path.Combine(dir.Path, MiAudit.Storage.AuditDatabase.DefaultFileName), readOnly: true);
        var labels = new MiAudit.Storage.SessionStore(database).List().Select(s => s.Label).ToList();
        Assert.Equal(2, labels.Distinct().Count());
        Assert.All(labels, l => Assert.StartsWith("session ", l));
    }

    [Fact]
    public async Task The_certs_directory_can_come_from_the_environment()
    {
        using var dir = new TemporaryDirectory();
        var certs = dir.File("from-env");
        await using var process = MiAuditProcess.Start(dir.Path, ["run", "--listen", "127.0.0.1:0"],
            new Dictionary<string, string> { ["MIAUDIT_CERTS_DIR"] = certs });
        await process.WaitForListeningAsync();

        Assert.True(File.Exists(Path.Combine(certs, "miaudit-ca-key.pem")));
    }

    [Fact]
    public async Task Help_explains_the_commands_with_examples()
    {
        using var dir = new TemporaryDirectory();
        var (exitCode, stdout, _) = await MiAuditProcess.RunAsync(dir.Path, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("Examples:", stdout);
        Assert.Contains("--passthrough", stdout);
        Assert.Contains("--map-host", stdout);
        Assert.Contains("ca", stdout);
    }
}
