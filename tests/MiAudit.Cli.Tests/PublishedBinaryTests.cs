using System.Runtime.InteropServices;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// The linux-x64 build of <c>src/publish.sh</c> (Native AOT) on a machine without .NET: run in a mount namespace
/// where the .NET install folder is an empty tmpfs, it intercepts, detects, stores and reports like the built one.
/// </summary>
public class PublishedBinaryTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task The_published_linux_x64_binary_audits_with_dotnet_hidden()
    {
        Assert.Equal(Architecture.X64, RuntimeInformation.OSArchitecture);
        using var dist = new TemporaryDirectory("miaudit-dist");
        var (code, stdout, stderr) = await ChildProcess.RunAsync("bash", [Path.Combine(RepositoryPaths.Root, "src", "publish.sh"), "linux-x64"],
            RepositoryPaths.Root, TimeSpan.FromMinutes(7), new Dictionary<string, string> { ["MIAUDIT_DIST"] = dist.Path });
        Assert.True(code == 0, $"publish.sh:\n{stdout}\n{stderr}");
        Assert.Contains("Native AOT", stdout);
        var binary = new ProxyBinary(dist.File("linux-x64/miaudit"), WithoutDotnet());

        var dir = env.PhoneDirectory("published");
        Assert.Contains("0.1.0", await RunAsync(dir, binary, "--version"));
        await using (var proxy = await env.StartProxyAsync(dir, binary, "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            await env.BrowseAndLeakAsync(client);
            // Native code all through: no .NET runtime was loaded (there is none to load).
            Assert.DoesNotContain("libcoreclr", File.ReadAllText($"/proc/{proxy.Process.Pid}/maps"));
            Assert.Equal(0, await proxy.Process.StopAsync());
            Assert.Contains("visited-url-leak: ", proxy.Process.Output);
        }

        Assert.Contains("sa.tracker-b.test", await RunAsync(dir, binary, "findings", "--min-severity", "high"));
        await RunAsync(dir, binary, "export", "--format", "csv", "--out", "findings.csv");
        var csv = File.ReadAllText(Path.Combine(dir, "findings.csv"));
        Assert.Contains("query[data] → base64 → json.properties.$url", csv);
        Assert.Contains(CliEnvironment.AndroidId, csv);
        await RunAsync(dir, binary, "report", "--out", "report.html");
        var report = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("sensors-analytics-endpoint", report);
        Assert.DoesNotContain(CliEnvironment.AndroidId, report); // masked by default

        // Parquet.Net's reflection (see MiAudit.Cli.csproj) and Npgsql's slim builder, in native code.
        await RunAsync(dir, binary, "export", "--format", "parquet", "--out", "study");
        using (var duck = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:"))
        {
            duck.Open();
            using var count = duck.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM '{Path.Combine(dir, "study", "findings.parquet")}' WHERE value = '{CliEnvironment.AndroidId}' AND severity >= 3";
            Assert.Equal(1L, (long)count.ExecuteScalar()!);
        }

        var cluster = await PostgresCluster.Shared;
        var url = cluster.Url(await cluster.CreateDatabaseAsync($"published_{Environment.ProcessId}"));
        await RunAsync(dir, binary, "export", "--format", "har", "--out", "flows.har");
        await RunAsync(dir, binary, "import-har", "flows.har", "--db", url, "--session-label", "from sqlite", "--device-profile", Path.Combine(dir, "phone.yaml"));
        Assert.Contains("sa.tracker-b.test", await RunAsync(dir, binary, "findings", "--db", url, "--min-severity", "high"));
    }

    /// <summary>
    /// <c>unshare -m</c>, then an empty tmpfs over the folder this test's own runtime came from (exit 97 if that
    /// did not hide it), then exec of miaudit: signals still reach it.
    /// </summary>
    private static IReadOnlyList<string> WithoutDotnet()
    {
        var dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        Assert.True(File.Exists(Path.Combine(dotnetRoot, "dotnet")), dotnetRoot);
        const string script = """mount -t tmpfs none "$0" && [ -z "$(ls -A "$0")" ] || exit 97; exec "$@" """;
        return ["unshare", "-m", "sh", "-c", script, dotnetRoot];
    }

    private static async Task<string> RunAsync(string dir, ProxyBinary binary, params string[] arguments)
    {
        await using var process = MiAuditProcess.Start(dir, arguments, launcher: binary.Launcher, executable: binary.Executable);
        var code = await process.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.True(code == 0, $"miaudit {string.Join(' ', arguments)} exited {code}:\n{process.Output}");
        return process.Output;
    }
}
