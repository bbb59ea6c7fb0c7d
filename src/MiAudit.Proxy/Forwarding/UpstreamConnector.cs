using System.Net;
using System.Net.Sockets;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Opens TCP connections to servers for both forwarded HTTP and relayed tunnels, so host mapping and
/// connect timeouts behave the same everywhere.
/// </summary>
public sealed class UpstreamConnector(HostMap hostMap, TimeSpan connectTimeout)
{
    /// <exception cref="SocketException">DNS failure or refused connection.</exception>
    /// <exception cref="TimeoutException">No connection within the connect timeout.</exception>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        try
        {
            var endPoints = await ResolveAsync(host, port, timeout.Token);
            SocketException? last = null;
            foreach (var endPoint in endPoints)
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(endPoint, timeout.Token);
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
