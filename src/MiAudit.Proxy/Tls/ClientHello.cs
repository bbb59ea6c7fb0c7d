using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// What MiAudit needs from a client's TLS ClientHello before answering it: the server name and the ALPN offer.
/// SslStream's hello callback gives the name but not the ALPN list, and the list decides which protocol MiAudit may
/// offer (it must first ask the origin), so the hello is read here from the unconsumed bytes, without consuming them.
/// </summary>
/// <param name="ApplicationProtocols">The ALPN names in the client's order; empty when it sent no ALPN extension.</param>
/// <param name="Fingerprint">The hello's JA4 fingerprint (<see cref="Ja4"/>): tells a pinning SDK from the browser on one phone.</param>
public sealed record ClientHello(string? ServerName, IReadOnlyList<string> ApplicationProtocols, string Fingerprint = "")
{
    /// <summary>Bigger than any real hello (post-quantum key shares make Chromium's about 1.8 KiB).</summary>
    public const int MaxBytes = 64 * 1024;

    private const byte HandshakeRecord = 0x16;
    private const byte ClientHelloMessage = 1;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;

    public enum Status
    {
        Complete,
        NeedMore,
        Invalid,
    }

    /// <summary>The client's ClientHello, read without consuming it (SslStream reads it again); null when it is not one.</summary>
    /// <exception cref="OperationCanceledException">The client did not send a whole hello in time.</exception>
    public static async Task<ClientHello?> PeekAsync(System.IO.Pipelines.PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var status = TryRead(result.Buffer, out var hello);
            if (status == Status.NeedMore && !result.IsCompleted)
            {
                input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                continue;
            }

            input.AdvanceTo(result.Buffer.Start);
            return hello;
        }
    }

    /// <summary>Reads a ClientHello from the start of a tunnel; the handshake message may span several records.</summary>
    public static Status TryRead(ReadOnlySequence<byte> input, out ClientHello? hello)
    {
        hello = null;
        var message = new ArrayBufferWriter<byte>();
        var reader = new SequenceReader<byte>(input);
        while (true)
        {
            if (message.WrittenCount >= 4)
            {
                var span = message.WrittenSpan;
                if (span[0] != ClientHelloMessage)
                {
                    return Status.Invalid;
                }

                var length = (span[1] << 16) | (span[2] << 8) | span[3];
                if (length + 4 > MaxBytes)
                {
                    return Status.Invalid;
                }

                if (message.WrittenCount >= length + 4)
                {
                    hello = Parse(span.Slice(4, length));
                    return hello is null ? Status.Invalid : Status.Complete;
                }
            }

            if (reader.Remaining < 5)
            {
                return Status.NeedMore;
            }

            reader.TryRead(out var type);
            reader.TryRead(out var major);
            reader.Advance(1);
            reader.TryReadBigEndian(out short fragmentLength);
            if (type != HandshakeRecord || major != 3 || fragmentLength <= 0 || message.WrittenCount + fragmentLength > MaxBytes)
            {
                return Status.Invalid;
            }

            if (reader.Remaining < fragmentLength)
            {
                return Status.NeedMore;
            }

            reader.UnreadSequence.Slice(0, fragmentLength).CopyTo(message.GetSpan(fragmentLength));
            message.Advance(fragmentLength);
            reader.Advance(fragmentLength);
        }
    }

    private static ClientHello? Parse(ReadOnlySpan<byte> body)
    {
        // version (2), random (32), session id, cipher suites, compression methods, then the extensions.
        var rest = body;
        var legacyVersion = body.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(body) : (ushort)0;
        if (!Skip(ref rest, 34) || !SkipVector(ref rest, 1) || !TakeVector(ref rest, 2, out var cipherSuites) || !SkipVector(ref rest, 1))
        {
            return null;
        }

        var hello = new Ja4.Parts(legacyVersion, Ja4.Values(cipherSuites));
        if (rest.IsEmpty)
        {
            return new ClientHello(null, [], hello.Fingerprint(null, [])); // no extensions at all: an old client
        }

        if (!TakeVector(ref rest, 2, out var extensions))
        {
            return null;
        }

        string? serverName = null;
        var protocols = new List<string>();
        while (!extensions.IsEmpty)
        {
            if (extensions.Length < 4)
            {
                return null;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(extensions);
            extensions = extensions[2..];
            if (!TakeVector(ref extensions, 2, out var data))
            {
                return null;
            }

            hello.Extensions.Add(type);
            switch (type)
            {
                case ServerNameExtension:
                    serverName = HostName(data);
                    break;
                case AlpnExtension when !ReadAlpn(data, protocols):
                    return null;
                case Ja4.SupportedVersionsExtension when TakeVector(ref data, 1, out var versions):
                    hello.SupportedVersions.AddRange(Ja4.Values(versions));
                    break;
                case Ja4.SignatureAlgorithmsExtension when TakeVector(ref data, 2, out var algorithms):
                    hello.SignatureAlgorithms.AddRange(Ja4.Values(algorithms));
                    break;
            }
        }

        return new ClientHello(serverName, protocols, hello.Fingerprint(serverName, protocols));
    }

    private static string? HostName(ReadOnlySpan<byte> data)
    {
        if (!TakeVector(ref data, 2, out var names))
        {
            return null;
        }

        while (names.Length >= 3)
        {
            var nameType = names[0];
            names = names[1..];
            if (!TakeVector(ref names, 2, out var name))
            {
                return null;
            }

            if (nameType == 0 && !name.IsEmpty)
            {
                return Encoding.ASCII.GetString(name);
            }
        }

        return null;
    }

    private static bool ReadAlpn(ReadOnlySpan<byte> data, List<string> protocols)
    {
        if (!TakeVector(ref data, 2, out var list))
        {
            return false;
        }

        while (!list.IsEmpty)
        {
            if (!TakeVector(ref list, 1, out var name) || name.IsEmpty)
            {
                return false;
            }

            // Latin-1 keeps every byte of a name that is not ASCII, so it can be offered back exactly.
            protocols.Add(Encoding.Latin1.GetString(name));
        }

        return true;
    }

    private static bool Skip(ref ReadOnlySpan<byte> span, int count)
    {
        if (span.Length < count)
        {
            return false;
        }

        span = span[count..];
        return true;
    }

    private static bool SkipVector(ref ReadOnlySpan<byte> span, int lengthBytes) => TakeVector(ref span, lengthBytes, out _);

    /// <summary>A TLS vector: a big-endian length of <paramref name="lengthBytes"/> bytes, then that many bytes.</summary>
    private static bool TakeVector(ref ReadOnlySpan<byte> span, int lengthBytes, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (span.Length < lengthBytes)
        {
            return false;
        }

        var length = lengthBytes == 1 ? span[0] : BinaryPrimitives.ReadUInt16BigEndian(span);
        if (span.Length < lengthBytes + length)
        {
            return false;
        }

        vector = span.Slice(lengthBytes, length);
        span = span[(lengthBytes + length)..];
        return true;
    }
}
