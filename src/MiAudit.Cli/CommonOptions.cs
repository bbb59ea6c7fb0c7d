using System.CommandLine;

namespace MiAudit.Cli;

/// <summary>Options more than one command reads, defined once.</summary>
public static class CommonOptions
{
    public const string CertsDirectoryVariable = "MIAUDIT_CERTS_DIR";

    public static Option<DirectoryInfo> CertsDirectory() => new("--certs-dir")
    {
        Description = $"Folder of MiAudit's root CA, created on first run (${CertsDirectoryVariable}, if set, is used instead of ./certs)",
        HelpName = "DIR",
        DefaultValueFactory = _ => new DirectoryInfo(Environment.GetEnvironmentVariable(CertsDirectoryVariable) is { Length: > 0 } dir ? dir : "certs"),
    };
}

/// <summary>Exit codes every command uses.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

/// <summary>A problem the user can fix, reported as one line without a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);

internal static class Report
{
    public static int Error(string message, int exitCode)
    {
        Console.Error.WriteLine($"miaudit: {message}");
        return exitCode;
    }
}
