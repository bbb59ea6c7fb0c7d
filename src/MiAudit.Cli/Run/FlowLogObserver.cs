using MiAudit.Flows;
using Microsoft.Extensions.Logging;

namespace MiAudit.Cli.Run;

/// <summary>Logs every flow at debug level (shown with --verbose).</summary>
public sealed class FlowLogObserver(ILogger<FlowLogObserver> logger) : IFlowObserver
{
    public ValueTask OnFlowAsync(Flow flow, CancellationToken cancellationToken)
    {
        logger.LogDebug("{Client} {Method} {Url} {Version} → {Status} ({RequestBytes} B up, {ResponseBytes} B down){Error}",
            flow.ClientAddress, flow.Method, flow.Url, flow.HttpVersion, flow.StatusCode?.ToString() ?? "-",
            flow.RequestBody.WireLength, flow.ResponseBody.WireLength, flow.Error is null ? "" : $" [{flow.Error.Kind}: {flow.Error.Message}]");
        return ValueTask.CompletedTask;
    }
}
