using System.Buffers;

namespace MiAudit.Proxy.Connect;

/// <summary>What the client sent first inside a freshly opened tunnel.</summary>
public enum TunnelContent
{
    /// <summary>A TLS handshake record (0x16 0x03 …): intercept or pass through.</summary>
    Tls,

    /// <summary>An HTTP/1.x request line: serve it as HTTP.</summary>
    Http,

    /// <summary>Anything else, or nothing yet (server-speaks-first protocols): relay as opaque bytes.</summary>
    Opaque,
}

public static class TunnelSniffer
{
    private static readonly string[] MethodPrefixes = ["GET ", "POST", "HEAD", "PUT ", "DELE", "OPTI", "PATC", "TRAC"];

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
        }

        return TunnelContent.Opaque;
    }
}
