namespace MiAudit.Testing;

/// <summary>Where the repository and the built miaudit binary are, from a test's output folder.</summary>
public static class RepositoryPaths
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public static string Root { get; } = FindRoot();

    public static string MiAuditDll => Path.Combine(Root, "src", "MiAudit.Cli", "bin", Configuration, "net10.0", "miaudit.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MiAudit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"MiAudit.sln not found above {AppContext.BaseDirectory}");
    }
}
