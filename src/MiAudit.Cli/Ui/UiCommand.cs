using System.CommandLine;
using MiAudit.Cli.Logging;
using MiAudit.Cli.Options;
using MiAudit.Cli.Run;
using MiAudit.Storage;

namespace MiAudit.Cli.Ui;

/// <summary><c>miaudit ui</c>: the web UI over a stored database, without the proxy (review after the audit).</summary>
public static class UiCommand
{
    public static Command Create()
    {
        var db = DatabaseOption.Create();
        var ui = new UiAddressOptions();
        var mask = Store.MaskOption.Create();
        var command = new Command("ui", """
            Serve the web UI over a stored database (SQLite file or PostgreSQL) without running the proxy: browse and
            search the flows, open their details. Stops with Ctrl-C. The URL it prints carries the access token.

            Example:
              miaudit ui --db lab.db
            """) { db, mask };
        ui.AddTo(command, canSwitchOff: false);
        command.SetAction(async (result, cancellationToken) =>
        {
            StoreAddress address;
            System.Net.IPEndPoint endPoint;
            try
            {
                address = StoreAddress.Parse(DatabaseOption.Resolve(result.GetValue(db)));
                endPoint = ui.Bind(result)!;
            }
            catch (Exception e) when (e is UsageException or StorageException)
            {
                return Report.Error(e.Message, ExitCodes.Usage);
            }

            using var loggers = LogSetup.Create(null, Serilog.Events.LogEventLevel.Information);
            MiAudit.Ui.UiServer server;
            try
            {
                server = await MiAudit.Ui.UiServer.StartAsync(new MiAudit.Ui.UiOptions(endPoint, address) { Mask = result.GetValue(mask) }, loggers);
            }
            catch (StorageException e)
            {
                return Report.Error(e.Message, ExitCodes.Failure);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                return Report.Error($"cannot listen on {endPoint}: {e.GetBaseException().Message}", ExitCodes.Failure);
            }

            await using (server)
            using (var signal = new ShutdownSignal())
            {
                Console.WriteLine($"Web UI: {server.Url}");
                Console.WriteLine($"  over {address.Display}; Ctrl-C stops it.");
                await signal.Requested;
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
