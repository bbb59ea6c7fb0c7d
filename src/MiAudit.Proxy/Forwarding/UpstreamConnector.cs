using System.Net;
using System.Net.Sockets;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Opens TCP connections to servers for both forwarded HTTP and relayed tunnels, so host mapping and
/// connect timeouts behave the same everywhere.
/// </summary>
public sealed class UpstreamConnector(HostMap hostMap, TimeSpan connectTimeout, Access.UpstreamAddressPolicy addresses)
{
    /// <exception cref="SocketException">DNS failure or refused connection.</exception>
    /// <exception cref="TimeoutException">No connection within the connect timeout.</exception>
    /// <exception cref="Access.UpstreamForbiddenException">The name resolves to this machine.</exception>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        try
        {
            // Checked after resolution, so a public name that resolves to 127.0.0.1 is caught too.
            var endPoints = await ResolveAsync(host, port, timeout.Token);
            if (endPoints.Select(e => addresses.Refusal(e.Address)).FirstOrDefault(r => r is not null) is { } refusal)
            {
                throw new Access.UpstreamForbiddenException(host, refusal);
            }

            SocketException? last = null;
            foreach (var endPoint in endPoints)
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(endPoint, timeout.Token);
                    if (addresses.RefusalOnceConnected(socket) is { } local)
                    {
                        throw new Access.UpstreamForbiddenException(host, local);
                    }

                    return socket;
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    last = e;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            throw last ?? new SocketException((int)SocketError.HostNotFound);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection to {host}:{port} within {connectTimeout.TotalSeconds:0.#} s");
        }
    }

    private async Task<IPEndPoint[]> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (hostMap.TryResolve(host, port, out var mapped))
        {
            return [mapped];
        }

        if (IPAddress.TryParse(host, out var literal))
        {
            return [new IPEndPoint(literal, port)];
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        return addresses.Length > 0 ? addresses.Select(a => new IPEndPoint(a, port)).ToArray() : throw new SocketException((int)SocketError.HostNotFound);
    }
}
