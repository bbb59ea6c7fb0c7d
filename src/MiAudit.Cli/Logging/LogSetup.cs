using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Compact;

namespace MiAudit.Cli.Logging;

/// <summary>Serilog: readable lines on the console, and JSON lines in a daily rolling file for the record.</summary>
public static class LogSetup
{
    public static ILoggerFactory Create(DirectoryInfo? logDirectory, LogEventLevel consoleLevel)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            // Kestrel reports every client that resets a connection; a proxy sees that all day.
            .MinimumLevel.Override("Microsoft.AspNetCore.Server.Kestrel", LogEventLevel.Error)
            .WriteTo.Console(
                restrictedToMinimumLevel: consoleLevel,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
        if (logDirectory is not null)
        {
            configuration = configuration.WriteTo.File(
                new CompactJsonFormatter(),
                Path.Combine(logDirectory.FullName, "miaudit-.jsonl"),
                restrictedToMinimumLevel: LogEventLevel.Debug,
                rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: 14,
                buffered: true,
                flushToDiskInterval: TimeSpan.FromSeconds(1));
        }

        return new SerilogLoggerFactory(configuration.CreateLogger(), dispose: true);
    }
}
