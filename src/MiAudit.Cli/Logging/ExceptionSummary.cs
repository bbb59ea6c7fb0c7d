using Serilog.Core;
using Serilog.Events;

namespace MiAudit.Cli.Logging;

/// <summary>An event's exception as one line (<c> (IOException: Connection reset by peer)</c>), for the console.</summary>
internal sealed class ExceptionSummary : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (logEvent.Exception is not { } exception)
        {
            return;
        }

        var root = exception.GetBaseException();
        var text = root.Message.ReplaceLineEndings(" ");
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(nameof(ExceptionSummary), $" ({root.GetType().Name}: {text})"));
    }
}
