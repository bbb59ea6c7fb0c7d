using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Compact;

namespace MiAudit.Cli.Logging;

/// <summary>Serilog: readable lines on the console, and JSON lines in a daily rolling file for the record.</summary>
public static class LogSetup
{
    /// <param name="consoleLevel">What the console shows; the file keeps Information and up, or Debug when the console does.</param>
    public static ILoggerFactory Create(DirectoryInfo? logDirectory, LogEventLevel consoleLevel)
    {
        var fileLevel = consoleLevel == LogEventLevel.Debug ? LogEventLevel.Debug : LogEventLevel.Information;
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(fileLevel < consoleLevel ? fileLevel : consoleLevel)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            // Kestrel reports every client that resets a connection; a proxy sees that all day.
            .MinimumLevel.Override("Microsoft.AspNetCore.Server.Kestrel", LogEventLevel.Error)
            // YARP logs each upstream failure as a warning; MiAudit logs its own, clearer line for those.
            .MinimumLevel.Override("Yarp", LogEventLevel.Error)
            // The host logs a failed start with its whole trace; MiAudit says what failed in one line of its own.
            .MinimumLevel.Override("Microsoft.Extensions.Hosting", LogEventLevel.Fatal)
            .Enrich.With<ExceptionSummary>()
            // No stack traces on the console, even with -v: the reason in one line; the file keeps the trace.
            .WriteTo.Console(
                restrictedToMinimumLevel: consoleLevel,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{ExceptionSummary}{NewLine}");
        var unwritable = logDirectory is null ? null : WhyUnwritable(logDirectory);
        if (logDirectory is not null && unwritable is null)
        {
            configuration = configuration.WriteTo.File(
                new CompactJsonFormatter(),
                Path.Combine(logDirectory.FullName, "miaudit-.jsonl"),
                restrictedToMinimumLevel: fileLevel,
                rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: 14,
                buffered: true,
                flushToDiskInterval: TimeSpan.FromSeconds(1));
        }

        var logger = configuration.CreateLogger();
        if (unwritable is not null)
        {
            logger.Warning("No log file: {LogDirectory} cannot be written ({Reason}); --log-dir names another folder", logDirectory!.FullName, unwritable);
        }

        return new SerilogLoggerFactory(logger, dispose: true);
    }

    /// <summary>The file sink fails silently (into Serilog's SelfLog), so the folder is tried first.</summary>
    private static string? WhyUnwritable(DirectoryInfo directory)
    {
        if (File.Exists(directory.FullName))
        {
            return "it is a file";
        }

        try
        {
            Directory.CreateDirectory(directory.FullName);
            var probe = Path.Combine(directory.FullName, $".miaudit-write-test-{Environment.ProcessId}");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e is UnauthorizedAccessException ? "permission denied" : e.Message;
        }
    }
}
