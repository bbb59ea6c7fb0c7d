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
    public void The_fingerprint_is_ja4_ignoring_grease_and_extension_order()
    {
        // FoxIO's published example (Chrome): ciphers, extensions and signature algorithms, with GREASE values added
        // and the extensions in two different orders, as Chrome shuffles them.
        ushort[] ciphers = [0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
        ushort[] others = [0x0005, 0x000a, 0x000b, 0x0012, 0x0015, 0x0017, 0x001b, 0x0023, 0x002d, 0x0033, 0x4469, 0xff01, 0x3a3a];
        var sni = Extension(0x0000, [0, 14, 0, 0, 11, .. "example.com"u8]);
        var alpn = Extension(0x0010, [0, 12, 2, .. "h2"u8, 8, .. "http/1.1"u8]);
        var versions = Extension(0x002b, [6, 0x7a, 0x7a, 3, 4, 3, 3]);
        var signatures = Extension(0x000d, [0, 16, 4, 3, 8, 4, 4, 1, 5, 3, 8, 5, 5, 1, 8, 6, 6, 1]);
        var rest = others.Select(type => Extension(type, [])).ToArray();

        var forward = Hello(ciphers, [sni, alpn, versions, signatures, .. rest]);
        var shuffled = Hello(ciphers, [.. rest.Reverse(), signatures, alpn, versions, sni]);

        foreach (var bytes in new[] { forward, shuffled })
        {
            Assert.Equal(ClientHello.Status.Complete, ClientHello.TryRead(new ReadOnlySequence<byte>(bytes), out var hello));
            Assert.Equal("t13d1516h2_8daaf6152771_e5627efa2ab1", hello!.Fingerprint);
        }
    }

    [Fact]
    public async Task Real_hellos_of_one_client_share_a_fingerprint_and_another_offer_changes_it()
    {
        ClientHello.TryRead(new ReadOnlySequence<byte>(await CaptureHelloAsync("a.origin.test", ["h2", "http/1.1"])), out var first);
        ClientHello.TryRead(new ReadOnlySequence<byte>(await CaptureHelloAsync("b.origin.test", ["h2", "http/1.1"])), out var second);
        ClientHello.TryRead(new ReadOnlySequence<byte>(await CaptureHelloAsync("a.origin.test", ["mqtt"])), out var other);

        Assert.Matches("^t1[23]d[0-9]{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$", first!.Fingerprint);
        Assert.Equal(first.Fingerprint, second!.Fingerprint);
        Assert.NotEqual(first.Fingerprint, other!.Fingerprint);
    }

    private static byte[] Extension(ushort type, byte[] data) => [(byte)(type >> 8), (byte)type, (byte)(data.Length >> 8), (byte)data.Length, .. data];

    /// <summary>A ClientHello record: legacy version 1.2, zero random, no session id, the ciphers, null compression.</summary>
    private static byte[] Hello(ushort[] ciphers, byte[][] extensions)
    {
        byte[] extensionBytes = [.. extensions.SelectMany(e => e)];
        byte[] body =
        [
            3, 3, .. new byte[32], 0,
            (byte)(ciphers.Length * 2 >> 8), (byte)(ciphers.Length * 2), .. ciphers.SelectMany(c => new[] { (byte)(c >> 8), (byte)c }),
            1, 0,
            (byte)(extensionBytes.Length >> 8), (byte)extensionBytes.Length, .. extensionBytes,
        ];
        byte[] handshake = [1, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];
        return [0x16, 3, 1, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake];
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
