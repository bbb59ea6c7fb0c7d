using System.CommandLine;
using MiAudit.Cli;

// SIGINT/SIGTERM are handled by the run command itself, so it can drain exchanges and flush the store.
// Exceptions that escape a command are MiAudit's bugs: CrashReport says so in one line and keeps the trace in a file.
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
var parsed = MiAuditCommand.Create().Parse(args);
if (UsageErrors.Describe(parsed) is { } usage)
{
    Console.Error.WriteLine(usage);
    return ExitCodes.Usage;
}

try
{
    return await parsed.InvokeAsync(configuration);
}
catch (Exception e)
{
    return CrashReport.Write(e, args);
}
