using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// <c>dotnet tool install</c> from the packed tool, as the README tells a researcher, with no feed but the pack (so
/// nothing is fetched): the installed <c>miaudit</c> runs a proxy, creates its CA and keeps its SQLite evidence.
/// </summary>
public class PackagedToolTests
{
    [Fact]
    public async Task The_packed_tool_installs_offline_and_runs_the_proxy()
    {
        using var dir = new TemporaryDirectory("miaudit-tool");
        var project = Path.Combine(RepositoryPaths.Root, "src", "MiAudit.Cli");
        await DotnetAsync(dir.Path, "pack", project, "-c", RepositoryPaths.Configuration, "--no-build", "-o", dir.File("pack"));
        File.WriteAllText(dir.File("nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="pack" value="{dir.File("pack")}" />
              </packageSources>
            </configuration>
            """);
        await DotnetAsync(dir.Path, "tool", "install", "--tool-path", dir.File("tool"), "--configfile", dir.File("nuget.config"), "miaudit");

        var (code, version, _) = await ChildProcess.RunAsync(dir.File("tool/miaudit"), ["--version"]);
        Assert.Equal(0, code);
        Assert.StartsWith("0.1.0", version);

        Directory.CreateDirectory(dir.File("audit"));
        await using var proxy = MiAuditProcess.Start(dir.File("audit"), ["run", "--listen", "127.0.0.1:0"], executable: dir.File("tool/miaudit"));
        await proxy.WaitForListeningAsync();
        Assert.Equal(0, await proxy.StopAsync());

        Assert.True(File.Exists(dir.File("audit/certs/miaudit-ca.pem")));
        Assert.True(File.Exists(dir.File("audit/miaudit.db")));
        Assert.Contains("Stopped", proxy.Output);
    }

    private static async Task DotnetAsync(string workingDirectory, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await ChildProcess.RunAsync("dotnet", arguments, workingDirectory, TimeSpan.FromMinutes(3));
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', arguments)}:\n{stdout}\n{stderr}");
    }
}
