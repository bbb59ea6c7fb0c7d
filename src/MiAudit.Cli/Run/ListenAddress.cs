using System.Globalization;
using System.Net;

namespace MiAudit.Cli.Run;

/// <summary>Parses <c>--listen</c>: <c>PORT</c>, <c>ADDRESS:PORT</c> or <c>[IPv6]:PORT</c>.</summary>
public static class ListenAddress
{
    public static IPEndPoint Parse(string text, string option = "--listen")
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var portOnly) && portOnly is >= 0 and <= 65535)
        {
            return new IPEndPoint(IPAddress.Any, portOnly);
        }

        if (IPEndPoint.TryParse(text, out var endPoint) && text.Contains(':') && !(endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !text.StartsWith('[')))
        {
            return endPoint;
        }

        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(text.AsSpan("localhost:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        throw new UsageException($"{option} '{text}' is not PORT, ADDRESS:PORT or [IPv6]:PORT (e.g. 0.0.0.0:8080)");
    }
}
