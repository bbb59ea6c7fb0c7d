using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// An air-gapped lab builds from its package cache: a copy of src/ restored against a package source that does not
/// answer (a closed port on loopback), so NuGet cannot read the vulnerability feed. Before, NU1900 became an error
/// through TreatWarningsAsErrors and the restore failed.
/// </summary>
public sealed class OfflineRestoreTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new("miaudit-offline-restore");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_fresh_copy_restores_when_the_vulnerability_feed_cannot_be_reached()
    {
        CopyDirectory(Path.Combine(RepositoryPaths.Root, "src"), _dir.File("src"));
        var config = _dir.File("nuget.config");
        File.WriteAllText(config, """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="unreachable" value="https://127.0.0.1:9/v3/index.json" />
              </packageSources>
            </configuration>
            """);

        var (exitCode, stdout, stderr) = await ChildProcess.RunAsync("dotnet", ["restore", _dir.File("src/MiAudit.Cli/MiAudit.Cli.csproj"), "--configfile", config],
            _dir.Path, TimeSpan.FromMinutes(5));
        var output = stdout + stderr;

        Assert.True(exitCode == 0, output);
        Assert.Contains("NU1900", output); // the feed really was out of reach
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }
}
