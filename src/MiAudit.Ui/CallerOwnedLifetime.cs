using Microsoft.Extensions.Hosting;

namespace MiAudit.Ui;

/// <summary>
/// The UI's host takes no signals of its own: the default console lifetime stops the host on SIGTERM, and a SIGTERM
/// that came while the UI was starting cancelled its start and crashed the proxy (13 of 25 quick stops). The command
/// that started the UI owns stopping it.
/// </summary>
internal sealed class CallerOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
