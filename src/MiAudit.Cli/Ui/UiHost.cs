using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiAudit.Storage;
using MiAudit.Ui;

namespace MiAudit.Cli.Ui;

/// <summary>Starts the web UI beside a command: a port that cannot be bound is a warning, never a failed start.</summary>
internal static class UiHost
{
    /// <returns>The running UI and the banner's line about it (its URL with the token, or why it is off).</returns>
    public static async Task<(UiServer? Server, string Line)> StartAsync(IPEndPoint? endPoint, StoreAddress store, bool mask, ILoggerFactory loggers)
    {
        if (endPoint is null)
        {
            return (null, "  Web UI: off (--no-ui)");
        }

        try
        {
            var server = await UiServer.StartAsync(new MiAudit.Ui.UiOptions(endPoint, store) { Mask = mask }, loggers);
            var warning = IPAddress.IsLoopback(endPoint.Address) ? "" : $"\n  WARNING: the web UI listens on {endPoint}, reachable from other devices; anyone with the link sees all captured traffic.";
            return (server, $"  Web UI: {server.Url}{(mask ? " (identifiers masked)" : "")}{warning}");
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            loggers.CreateLogger("MiAudit").LogWarning("The web UI is off: cannot listen on {EndPoint} ({Reason}); give --ui ADDRESS:PORT for another", endPoint, e.GetBaseException().Message);
            return (null, $"  Web UI: off ({endPoint} is in use or cannot be bound; --ui ADDRESS:PORT for another)");
        }
        catch (StorageException e)
        {
            loggers.CreateLogger("MiAudit").LogWarning("The web UI is off: {Reason}", e.Message);
            return (null, $"  Web UI: off ({e.Message})");
        }
    }
}
