using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MiAudit.Testing;

/// <summary>A bare TCP connection to the proxy for tests that must control every byte (CONNECT heads, tunnels).</summary>
public sealed class RawProxyConnection : IDisposable
{
    private readonly TcpClient _client;

    private RawProxyConnection(TcpClient client)
    {
        _client = client;
        Stream = client.GetStream();
    }

    public NetworkStream Stream { get; }

    public Socket Socket => _client.Client;

    public static async Task<RawProxyConnection> OpenAsync(IPEndPoint proxy)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(proxy);
        return new RawProxyConnection(client);
    }

    public Task SendAsync(string text) => Stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Reads up to the end of a response head (<c>\r\n\r\n</c>), byte by byte so nothing after it is consumed.</summary>
    public async Task<string> ReadHeadAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await Stream.ReadAsync(one, cancel.Token) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>Reads until the other side closes.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var all = new MemoryStream();
        await Stream.CopyToAsync(all, cancel.Token);
        return all.ToArray();
    }

    /// <summary>Sends CONNECT and returns the proxy's response head.</summary>
    public async Task<string> ConnectAsync(string authority)
    {
        await SendAsync($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
        return await ReadHeadAsync();
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>Splits a raw HTTP/1.1 response into head and body, undoing chunked transfer coding.</summary>
public static class RawHttpResponse
{
    public static (string Head, string Body) Split(string response)
    {
        var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = response[..end];
        var body = response[(end + 4)..];
        if (!head.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return (head, body);
        }

        var decoded = new StringBuilder();
        while (true)
        {
            var lineEnd = body.IndexOf("\r\n", StringComparison.Ordinal);
            var size = Convert.ToInt32(body[..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return (head, decoded.ToString());
            }

            decoded.Append(body, lineEnd + 2, size);
            body = body[(lineEnd + 2 + size + 2)..];
        }
    }
}
