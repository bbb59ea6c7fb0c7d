using System.CommandLine;
using System.Net;
using MiAudit.Cli.Run;

namespace MiAudit.Cli.Ui;

/// <summary><c>--ui</c>, <c>--no-ui</c> and <c>--ui-allow-remote</c>: where the web UI listens, if at all.</summary>
internal sealed class UiAddressOptions
{
    public const string DefaultAddress = "127.0.0.1:8081";

    private readonly Option<string> _address = new("--ui")
    {
        Description = "Serve the web UI here: flows live, search inside decoded values, flow details (docs/ui.md)",
        HelpName = "ADDRESS:PORT",
        DefaultValueFactory = _ => DefaultAddress,
    };

    private readonly Option<bool> _off = new("--no-ui") { Description = "No web UI" };

    private readonly Option<bool> _remote = new("--ui-allow-remote")
    {
        Description = "Let --ui listen on an address other devices can reach (the token is then all that guards the captured traffic)",
    };

    public void AddTo(Command command, bool canSwitchOff)
    {
        command.Options.Add(_address);
        command.Options.Add(_remote);
        if (canSwitchOff)
        {
            command.Options.Add(_off);
        }
    }

    /// <summary>The address to listen on, or null with <c>--no-ui</c>.</summary>
    /// <exception cref="UsageException">Not an address, or one other devices reach without <c>--ui-allow-remote</c>.</exception>
    public IPEndPoint? Bind(ParseResult result)
    {
        if (result.GetValue(_off))
        {
            return null;
        }

        var endPoint = ListenAddress.Parse(result.GetValue(_address)!, "--ui");
        if (!IPAddress.IsLoopback(endPoint.Address) && !result.GetValue(_remote))
        {
            throw new UsageException($"--ui {endPoint} is reachable from other devices and the UI shows every captured request: add --ui-allow-remote to mean it, or use 127.0.0.1");
        }

        return endPoint;
    }
}
