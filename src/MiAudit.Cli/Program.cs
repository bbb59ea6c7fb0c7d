using System.CommandLine;
using MiAudit.Cli;

// SIGINT/SIGTERM are handled by the run command itself, so it can drain exchanges and flush the store.
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await MiAuditCommand.Create().Parse(args).InvokeAsync(configuration);
