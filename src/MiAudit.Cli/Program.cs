using System.CommandLine;
using MiAudit.Cli;

// SIGINT/SIGTERM are handled by the run command itself, so it can drain exchanges and flush the store.
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
var parsed = MiAuditCommand.Create().Parse(args);
if (UsageErrors.Describe(parsed) is { } usage)
{
    Console.Error.WriteLine(usage);
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync(configuration);
