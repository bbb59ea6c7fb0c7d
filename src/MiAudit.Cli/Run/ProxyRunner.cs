using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiAudit.Cli.Logging;
using MiAudit.Flows;
using MiAudit.Proxy;
using MiAudit.Proxy.Tls;

namespace MiAudit.Cli.Run;

/// <summary>Wires the proxy to its observers, runs it until a stop signal, and shuts it down without losing flows.</summary>
public static class ProxyRunner
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(RunSettings settings)
    {
        using var loggerFactory = LogSetup.Create(settings.LogDirectory, settings.ConsoleLevel);
        var logger = loggerFactory.CreateLogger("MiAudit");

        CertificateAuthority authority;
        try
        {
            authority = CertificateAuthority.LoadOrCreate(settings.CertsDirectory.FullName);
        }
        catch (Exception e) when (e is CertificateAuthorityException or IOException or UnauthorizedAccessException)
        {
            return Report.Error(e.Message, ExitCodes.Failure);
        }

        using (authority)
        using (var signal = new ShutdownSignal())
        {
            if (authority.Created)
            {
                logger.LogInformation("Created a new MiAudit root CA in {Directory}", authority.Directory);
            }

            if (settings.Proxy.InsecureUpstream)
            {
                logger.LogWarning("Upstream certificate verification is OFF (--insecure-upstream): MiAudit will talk to impostors without noticing");
            }

            IFlowObserver[] observers = [new FlowLogObserver(loggerFactory.CreateLogger<FlowLogObserver>())];
            await using var server = ProxyServer.Create(settings.Proxy, authority, observers, loggerFactory);
            try
            {
                await server.StartAsync();
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return Report.Error($"cannot listen on {settings.Proxy.ListenEndPoint}: {e.GetBaseException().Message}", ExitCodes.Failure);
            }

            var bound = server.BoundEndPoints[0];
            logger.LogInformation("Listening on {EndPoint}", bound);
            Console.WriteLine(StartupBanner.Render(bound, authority, settings.Proxy.InsecureUpstream));

            var reason = await signal.Requested;
            logger.LogInformation("{Signal} received: finishing in-flight exchanges (a second signal exits at once)", reason);
            await server.StopAsync(DrainTimeout);
            logger.LogInformation("Stopped; {Flows} flows handed to observers", server.FlowsDispatched);
        }

        return ExitCodes.Ok;
    }
}
