using System.Net;
using System.Net.Sockets;

namespace MiAudit.Testing;

/// <summary>A loopback TCP server running one handler per connection, for relay tests that need a non-HTTP peer.</summary>
public sealed class TcpTestServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public TcpTestServer(Func<Socket, Task> handler)
    {
        _listener.Start();
        _ = AcceptLoopAsync(handler);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptLoopAsync(Func<Socket, Task> handler)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (socket)
                {
                    await handler(socket);
                }
            });
        }
    }

    /// <summary>Reads until the peer half-closes, then answers with a summary and closes.</summary>
    public static async Task CountUntilEndThenAnswer(Socket socket)
    {
        var buffer = new byte[4096];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            total += read;
        }

        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"got {total} bytes"));
        socket.Shutdown(SocketShutdown.Both);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
