using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MiAudit.Proxy.Tls;

namespace MiAudit.Proxy.Tests.Tls;

/// <summary>The ClientHello reader, on hellos that .NET's own TLS client (OpenSSL) puts on a real socket.</summary>
public class ClientHelloTests
{
    [Fact]
    public async Task A_real_hello_gives_its_server_name_and_alpn_offer_in_order()
    {
        var bytes = await CaptureHelloAsync("api.origin.test", ["h2", "http/1.1", "mqtt"]);

        Assert.Equal(ClientHello.Status.Complete, ClientHello.TryRead(new ReadOnlySequence<byte>(bytes), out var hello));
        Assert.Equal("api.origin.test", hello!.ServerName);
        Assert.Equal(["h2", "http/1.1", "mqtt"], hello.ApplicationProtocols);
    }

    [Fact]
    public async Task A_hello_without_alpn_or_name_has_an_empty_offer()
    {
        var bytes = await CaptureHelloAsync("", null);

        Assert.Equal(ClientHello.Status.Complete, ClientHello.TryRead(new ReadOnlySequence<byte>(bytes), out var hello));
        Assert.Null(hello!.ServerName);
        Assert.Empty(hello.ApplicationProtocols);
    }

    [Fact]
    public async Task A_hello_split_over_records_and_segments_is_read_whole_and_a_partial_one_asks_for_more()
    {
        var bytes = await CaptureHelloAsync("split.origin.test", ["http/1.1"]);
        var split = SplitIntoRecords(bytes, 100);

        // Delivered one byte per segment, as a slow network might.
        Assert.Equal(ClientHello.Status.Complete, ClientHello.TryRead(Segmented(split), out var hello));
        Assert.Equal("split.origin.test", hello!.ServerName);
        Assert.Equal(["http/1.1"], hello.ApplicationProtocols);
        for (var cut = 0; cut < split.Length; cut += 37)
        {
            Assert.Equal(ClientHello.Status.NeedMore, ClientHello.TryRead(new ReadOnlySequence<byte>(split, 0, cut), out _));
        }
    }

    [Fact]
    public void What_is_not_a_hello_is_invalid_and_never_throws()
    {
        Assert.Equal(ClientHello.Status.Invalid, ClientHello.TryRead(new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n\r\n"u8.ToArray()), out _));
        // A handshake record holding a ServerHello (type 2), not a ClientHello.
        Assert.Equal(ClientHello.Status.Invalid, ClientHello.TryRead(new ReadOnlySequence<byte>([0x16, 3, 1, 0, 4, 2, 0, 0, 0]), out _));

        var random = new Random(12);
        for (var i = 0; i < 20_000; i++)
        {
            var noise = new byte[random.Next(0, 300)];
            random.NextBytes(noise);
            if (noise.Length > 5 && i % 2 == 0)
            {
                // Mostly well-framed records with a hello type, so the parser's inner lengths are what is attacked.
                noise[0] = 0x16;
                noise[1] = 3;
                noise[3] = 0;
                noise[4] = (byte)(noise.Length - 5);
                noise[5] = 1;
            }

            ClientHello.TryRead(new ReadOnlySequence<byte>(noise), out _);
        }
    }

    /// <summary>The bytes a TLS client sends first, read off a loopback socket until the reader has a whole hello.</summary>
    private static async Task<byte[]> CaptureHelloAsync(string targetHost, List<string>? alpn)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptTcpClientAsync();
        var ssl = new SslStream(client.GetStream());
        var handshake = ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ApplicationProtocols = alpn?.Select(p => new SslApplicationProtocol(p)).ToList(),
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });

        var received = new List<byte>();
        var buffer = new byte[4096];
        while (ClientHello.TryRead(new ReadOnlySequence<byte>(received.ToArray()), out _) == ClientHello.Status.NeedMore)
        {
            var read = await server.GetStream().ReadAsync(buffer);
            Assert.NotEqual(0, read);
            received.AddRange(buffer.AsSpan(0, read));
        }

        server.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake);
        return received.ToArray();
    }

    /// <summary>The same handshake message re-framed into records of at most <paramref name="size"/> bytes (TLS allows it).</summary>
    private static byte[] SplitIntoRecords(byte[] oneRecord, int size)
    {
        var message = oneRecord.AsSpan(5, (oneRecord[3] << 8) | oneRecord[4]).ToArray();
        var output = new List<byte>();
        for (var offset = 0; offset < message.Length; offset += size)
        {
            var length = Math.Min(size, message.Length - offset);
            output.AddRange([0x16, 3, 1, (byte)(length >> 8), (byte)length]);
            output.AddRange(message.AsSpan(offset, length));
        }

        return output.ToArray();
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
