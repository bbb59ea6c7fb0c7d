using System.Buffers;

namespace MiAudit.Proxy.Connect;

/// <summary>What the client sent first inside a freshly opened tunnel.</summary>
public enum TunnelContent
{
    /// <summary>A TLS handshake record (0x16 0x03 …): intercept or pass through.</summary>
    Tls,

    /// <summary>An HTTP/1.x request line: serve it as HTTP.</summary>
    Http,

    /// <summary>The HTTP/2 connection preface (h2c with prior knowledge, as gRPC without TLS sends): serve it as HTTP/2.</summary>
    Http2PriorKnowledge,

    /// <summary>Anything else, or nothing yet (server-speaks-first protocols): relay as opaque bytes.</summary>
    Opaque,
}

public static class TunnelSniffer
{
    private static readonly string[] MethodPrefixes = ["GET ", "POST", "HEAD", "PUT ", "DELE", "OPTI", "PATC", "TRAC"];

    /// <summary>The first line of the HTTP/2 connection preface (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> Http2PrefaceStart => "PRI * HTTP/2.0\r\n"u8;

    /// <summary>How many bytes the sniffer wants before it decides.</summary>
    public const int BytesWanted = 4;

    public static TunnelContent Classify(ReadOnlySequence<byte> start)
    {
        Span<byte> head = stackalloc byte[BytesWanted];
        var length = (int)Math.Min(start.Length, BytesWanted);
        start.Slice(0, length).CopyTo(head);
        head = head[..length];
        if (length >= 2 && head[0] == 0x16 && head[1] == 0x03)
        {
            return TunnelContent.Tls;
        }

        if (length == BytesWanted)
        {
            var text = System.Text.Encoding.ASCII.GetString(head);
            if (MethodPrefixes.Contains(text))
            {
                return TunnelContent.Http;
            }

            if (Http2PrefaceStart.StartsWith(head))
            {
                return TunnelContent.Http2PriorKnowledge;
            }
        }

        return TunnelContent.Opaque;
    }
}
