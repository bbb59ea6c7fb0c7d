using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using MiAudit.Proxy.Forwarding;

namespace MiAudit.Proxy.Connect;

/// <summary>
/// Relays a tunnel's bytes untouched between client and server (pass-through TLS, opaque TCP), with half-close in
/// both directions: when one side stops sending, the other is told so and may still answer.
/// </summary>
public sealed class TcpRelay(UpstreamConnector connector)
{
    /// <summary>Bytes each way, and the failure that ended the relay, if any.</summary>
    public sealed record Result(long ClientToServer, long ServerToClient, Exception? Failure);

    public async Task<Result> RelayAsync(ConnectionContext connection, string host, int port)
    {
        Socket server;
        try
        {
            server = await connector.ConnectAsync(host, port, CancellationToken.None);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException or Access.UpstreamForbiddenException)
        {
            return new Result(0, 0, e);
        }

        // Not linked to ConnectionClosed: Kestrel fires that on the client's FIN, which in a relay is only a half-close.
        // An aborted client connection fails the client-to-server pump instead, which cancels the other one.
        using (server)
        using (var abort = new CancellationTokenSource())
        {
            // Kestrel cannot half-close its transport (completing output closes both ways), so the server-to-client
            // direction writes to the client socket directly when Kestrel exposes it.
            var clientSocket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
            var up = ClientToServerAsync(connection.Transport.Input, server, abort);
            var down = ServerToClientAsync(server, clientSocket, connection.Transport.Output, abort);
            Exception? failure = null;
            try
            {
                await Task.WhenAll(up, down);
            }
            catch (Exception e)
            {
                failure = e is OperationCanceledException ? null : e;
            }

            return new Result(
                up.IsCompletedSuccessfully ? up.Result : 0,
                down.IsCompletedSuccessfully ? down.Result : 0,
                failure);
        }
    }

    private static async Task<long> ClientToServerAsync(PipeReader client, Socket server, CancellationTokenSource abort)
    {
        long total = 0;
        try
        {
            while (true)
            {
                var result = await client.ReadAsync(abort.Token);
                foreach (var segment in result.Buffer)
                {
                    await SendAllAsync(server, segment, abort.Token);
                    total += segment.Length;
                }

                client.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            server.Shutdown(SocketShutdown.Send);
            return total;
        }
        catch
        {
            await abort.CancelAsync();
            throw;
        }
    }

    private static async Task<long> ServerToClientAsync(Socket server, Socket? clientSocket, PipeWriter clientPipe, CancellationTokenSource abort)
    {
        long total = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await server.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, abort.Token)) > 0)
            {
                if (clientSocket is not null)
                {
                    await SendAllAsync(clientSocket, buffer.AsMemory(0, read), abort.Token);
                }
                else
                {
                    await clientPipe.WriteAsync(buffer.AsMemory(0, read), abort.Token);
                }

                total += read;
            }

            if (clientSocket is not null)
            {
                clientSocket.Shutdown(SocketShutdown.Send);
            }
            else
            {
                await clientPipe.CompleteAsync();
            }

            return total;
        }
        catch
        {
            await abort.CancelAsync();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }
}
