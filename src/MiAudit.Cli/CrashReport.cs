namespace MiAudit.Cli;

/// <summary>
/// An exception no command handled is a bug in MiAudit: the user gets one line with the reason and where the trace
/// is, not the trace itself; the file is what a bug report needs.
/// </summary>
internal static class CrashReport
{
    public static int Write(Exception e, string[] args)
    {
        var path = Path.Combine(Path.GetTempPath(), $"miaudit-crash-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        try
        {
            File.WriteAllText(path, $"miaudit {string.Join(' ', args)}\n{DateTime.UtcNow:O}\n\n{e}\n");
        }
        catch (Exception write) when (write is IOException or UnauthorizedAccessException)
        {
            path = "(could not be written: " + write.Message + ")";
        }

        Console.Error.WriteLine($"miaudit: internal error: {e.GetBaseException().Message.ReplaceLineEndings(" ")} (a bug in MiAudit; the trace is in {path})");
        return ExitCodes.Failure;
    }
}
