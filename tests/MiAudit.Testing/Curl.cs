namespace MiAudit.Testing;

/// <summary>Runs the system's curl, a client MiAudit did not write, against the proxy.</summary>
public static class Curl
{
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(params string[] arguments) => ChildProcess.RunAsync("curl", arguments);
}
