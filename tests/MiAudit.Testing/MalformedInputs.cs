using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MiAudit.Testing;

/// <summary>
/// Generated hostile inputs for a proxy, reproducible from a seed: random bytes, broken request lines, absurd
/// headers, invalid chunked bodies, truncated or garbage TLS after CONNECT, HTTP/2 frame garbage inside a real
/// intercepted tunnel, half-closed sockets. Each case opens its own connection, sends, and closes.
/// </summary>
public sealed class MalformedInputs(IPEndPoint proxy, string tunnelHost, int tunnelPort, int seed)
{
    public static readonly string[] Kinds =
        ["random-bytes", "request-line", "headers", "chunked", "connect-head", "tls-garbage", "h2-garbage", "half-close"];

    private readonly Random _random = new(seed);

    /// <summary>Runs case <paramref name="index"/>; returns its kind. Network errors are the expected outcome and are swallowed.</summary>
    public async Task<string> RunAsync(int index)
    {
        var kind = Kinds[index % Kinds.Length];
        byte[] payload;
        lock (_random)
        {
            payload = kind switch
            {
                "random-bytes" => Bytes(_random.Next(1, 4000)),
                "request-line" => Ascii(RequestLine()),
                "headers" => Ascii(Headers()),
                "chunked" => Ascii(Chunked()),
                "connect-head" => Ascii(ConnectHead()),
                "tls-garbage" => [.. Ascii($"CONNECT {tunnelHost}:{tunnelPort} HTTP/1.1\r\nHost: x\r\n\r\n"), .. TlsGarbage()],
                "h2-garbage" => Bytes(_random.Next(1, 3000)),
                _ => Ascii($"POST http://{tunnelHost}:{tunnelPort}/upload HTTP/1.1\r\nHost: {tunnelHost}\r\nContent-Length: 100000\r\n\r\npartial"),
            };
        }

        using var client = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(proxy, timeout.Token);
            var stream = client.GetStream();
            if (kind == "h2-garbage")
            {
                await SendHttp2GarbageAsync(stream, payload, timeout.Token);
                return kind;
            }

            await stream.WriteAsync(payload, timeout.Token);
            if (kind == "half-close")
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }

            var buffer = new byte[4096];
            using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            readTimeout.CancelAfter(TimeSpan.FromMilliseconds(300));
            while (await stream.ReadAsync(buffer, readTimeout.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
        }
        finally
        {
            // Hang up the way a phone that lost the network does: a reset, not an orderly close (Dispose sends FIN).
            client.Client.Close(0);
        }

        return kind;
    }

    private async Task SendHttp2GarbageAsync(NetworkStream stream, byte[] frames, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(Ascii($"CONNECT {tunnelHost}:{tunnelPort} HTTP/1.1\r\nHost: x\r\n\r\n"), cancellationToken);
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one, cancellationToken) > 0)
        {
            head.Append((char)one[0]);
        }

        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = tunnelHost,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
        }, cancellationToken);
        await tls.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), cancellationToken);
        await tls.WriteAsync(frames, cancellationToken);
        await tls.FlushAsync(cancellationToken);
        var buffer = new byte[4096];
        using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        readTimeout.CancelAfter(TimeSpan.FromMilliseconds(300));
        while (await tls.ReadAsync(buffer, readTimeout.Token) > 0)
        {
        }
    }

    private string RequestLine() => Pick(
        "GET\r\n\r\n",
        "GET / HTTP/9.9\r\nHost: a\r\n\r\n",
        "G\0T / HTTP/1.1\r\nHost: a\r\n\r\n",
        $"GET http://{tunnelHost}/{new string('a', _random.Next(10_000, 70_000))} HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http:// HTTP/1.1\r\nHost: \r\n\r\n",
        "GET http://[::1 HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET /\u00ff\u00fe HTTP/1.1\r\nHost: a\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + new string('\0', 40),
        $"{new string('X', 5000)} / HTTP/1.1\r\n\r\n");

    private string Headers() => Pick(
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, 1000).Select(i => $"X-H{i}: v\r\n")) + "\r\n",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nX-Big: {new string('b', 100_000)}\r\n\r\n",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nno colon header\r\n\r\n",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nBad Name: v\r\n\r\n",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde",
        $"GET http://{tunnelHost}:{tunnelPort}/ HTTP/1.1\r\nX-\u0001: \u0002\r\n\r\n");

    private string Chunked() => Pick(
        $"POST http://{tunnelHost}:{tunnelPort}/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        $"POST http://{tunnelHost}:{tunnelPort}/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n",
        $"POST http://{tunnelHost}:{tunnelPort}/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc",
        $"POST http://{tunnelHost}:{tunnelPort}/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefgh\r\n0\r\n\r\n",
        $"POST http://{tunnelHost}:{tunnelPort}/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n",
        $"POST http://{tunnelHost}:{tunnelPort}/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n");

    private string ConnectHead() => Pick(
        "CONNECT\r\n\r\n",
        "CONNECT :443 HTTP/1.1\r\n\r\n",
        "CONNECT host:-1 HTTP/1.1\r\n\r\n",
        "CONNECT host:443 HTTP/1.1\r\n" + new string('h', 30_000),
        "CONNECT host:443 HTTP/1.1\r\nA\r\n\r\n",
        "CONNECT [zz]:443 HTTP/1.1\r\n\r\n",
        "CONNECT host:443 HTTP/1.1",
        $"CONNECT {tunnelHost}:{tunnelPort} HTTP/1.1\r\n\r\n" + new string('\u00ff', 100));

    private byte[] TlsGarbage()
    {
        var body = Bytes(_random.Next(0, 600));
        return _random.Next(3) switch
        {
            0 => [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, .. body], // a ClientHello cut short
            1 => [0x16, 0x03, 0x03, 0xff, 0xff, .. body],                                       // a record length that lies
            _ => [0x16, 0x03, .. body],
        };
    }

    private byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    private string Pick(params string[] options) => options[_random.Next(options.Length)];

    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);
}
