using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace MiAudit.Proxy.Access;

/// <summary>Closes connections from clients the policy does not allow, before anything is read from them.</summary>
public sealed class ClientAccessMiddleware(ClientAccessPolicy policy, TimeProvider clock, ILogger<ClientAccessMiddleware> logger)
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);

    // One log line per refused address per minute: a scan must not flood the log.
    private readonly ConcurrentDictionary<IPAddress, DateTimeOffset> _lastLogged = new();

    public Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (policy.Allows(address))
        {
            return next(connection);
        }

        var now = clock.GetUtcNow();
        if (!_lastLogged.TryGetValue(address!, out var last) || now - last > LogEvery)
        {
            _lastLogged[address!] = now;
            logger.LogWarning("Refused a connection from {Client}: not a private address (allow it with --allow-client)", address);
        }

        connection.Abort();
        return Task.CompletedTask;
    }
}
