using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using MiAudit.Flows;

namespace MiAudit.Proxy.Connect;

public enum ConnectHeadStatus
{
    /// <summary>The head has not fully arrived; read more.</summary>
    Incomplete,
    Complete,
    Invalid,
}

/// <summary>
/// Parses a CONNECT request head from bytes that may arrive in pieces. Pure: no I/O, so it is tested byte by byte.
/// Written by hand because Kestrel refuses CONNECT and rejects '_' in authorities, which real hosts use.
/// </summary>
public static class ConnectHeadParser
{
    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>True when the bytes so far can only be the start of a CONNECT request.</summary>
    public static bool LooksLikeConnect(ReadOnlySequence<byte> buffer)
    {
        ReadOnlySpan<byte> prefix = "CONNECT "u8;
        Span<byte> start = stackalloc byte[8];
        var length = (int)Math.Min(buffer.Length, prefix.Length);
        buffer.Slice(0, length).CopyTo(start);
        return start[..length].SequenceEqual(prefix[..length]);
    }

    /// <param name="buffer">Bytes received so far, starting at the request line.</param>
    /// <param name="maxHeadBytes">The largest head accepted.</param>
    /// <param name="end">Where the head ends (everything after belongs to the tunnel).</param>
    public static ConnectHeadStatus TryParse(
        ReadOnlySequence<byte> buffer,
        int maxHeadBytes,
        out ConnectRequest? request,
        out SequencePosition end,
        out ConnectHeadError? error)
    {
        request = null;
        error = null;
        end = buffer.Start;

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, HeadEnd, advancePastDelimiter: true))
        {
            if (buffer.Length > maxHeadBytes)
            {
                error = new ConnectHeadError(431, $"CONNECT head larger than {maxHeadBytes} bytes");
                return ConnectHeadStatus.Invalid;
            }

            return ConnectHeadStatus.Incomplete;
        }

        if (head.Length + HeadEnd.Length > maxHeadBytes)
        {
            error = new ConnectHeadError(431, $"CONNECT head larger than {maxHeadBytes} bytes");
            return ConnectHeadStatus.Invalid;
        }

        end = reader.Position;
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        if (!TryParseRequestLine(lines[0], out var host, out var port, out var version, out var reason))
        {
            error = new ConnectHeadError(400, reason);
            return ConnectHeadStatus.Invalid;
        }

        var headers = new List<HeaderField>(lines.Length - 1);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var colon = line.IndexOf(':');
            if (colon <= 0 || line[0] is ' ' or '\t' || line.AsSpan(0, colon).ContainsAny(" \t"))
            {
                error = new ConnectHeadError(400, $"malformed header line in CONNECT head: '{Printable(line)}'");
                return ConnectHeadStatus.Invalid;
            }

            headers.Add(new HeaderField(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        request = new ConnectRequest(host, port, version, headers);
        return ConnectHeadStatus.Complete;
    }

    private static bool TryParseRequestLine(string line, out string host, out int port, out string version, out string reason)
    {
        host = "";
        port = 0;
        version = "";
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0] != "CONNECT")
        {
            reason = $"malformed CONNECT request line: '{Printable(line)}'";
            return false;
        }

        version = parts[2];
        if (version is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            reason = $"unsupported HTTP version '{Printable(version)}' in CONNECT";
            return false;
        }

        if (!TrySplitAuthority(parts[1], out host, out port))
        {
            reason = $"CONNECT target '{Printable(parts[1])}' is not host:port";
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>Splits <c>host:port</c> or <c>[v6]:port</c>; the port is required, as RFC 9110 asks of CONNECT.</summary>
    internal static bool TrySplitAuthority(string authority, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = authority.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        var name = authority[..colon];
        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            host = name[1..^1];
            return IPAddress.TryParse(host, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        host = name;
        return IsHostName(name);
    }

    /// <summary>Letters, digits, '-', '.', and '_' (which real host names carry, though RFC 952 forbids it).</summary>
    private static bool IsHostName(string name)
    {
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Printable(string text)
    {
        var clipped = text.Length > 80 ? text[..80] + "…" : text;
        return new string(clipped.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
