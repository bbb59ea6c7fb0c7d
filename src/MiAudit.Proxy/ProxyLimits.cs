using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MiAudit.Proxy;

/// <summary>
/// Kestrel's limits, chosen for a proxy that parses hostile traffic all day: heads are bounded in size, count and time
/// (slowloris), bodies are not (a proxy forwards uploads of any size; the upstream side has its own timeouts).
/// Violations answer 400, 414, 431 or 408 and close the connection, and are stored as rejected flows; the CONNECT
/// parser applies its own bounds.
/// </summary>
public static class ProxyLimits
{
    /// <summary>Header fields per request: browsers send about 20; apps with many cookies and custom fields more.</summary>
    public const int MaxRequestHeaderCount = 1000;

    public static void Apply(KestrelServerLimits limits, ProxyOptions options)
    {
        limits.MaxConcurrentConnections = 10_000;
        limits.MaxConcurrentUpgradedConnections = 2_000;
        // Kestrel resets an HTTP/2 stream whose :path is over this, leaving no record: it gets the whole head's limit,
        // and the request handler answers a target over --max-request-line with 414 and a rejected flow (either version).
        limits.MaxRequestLineSize = Math.Max(options.MaxRequestHeadersBytes, options.MaxRequestLineBytes);
        limits.MaxRequestHeadersTotalSize = Math.Max(options.MaxRequestHeadersBytes, options.MaxRequestLineBytes);
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        limits.MaxRequestBufferSize = 1024 * 1024;
        limits.MaxResponseBufferSize = 1024 * 1024;
        limits.MaxRequestBodySize = null;
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
        limits.MinRequestBodyDataRate = null; // phones on bad Wi-Fi upload slowly
        limits.MinResponseDataRate = null;
        limits.Http2.MaxStreamsPerConnection = 128;
        // A field over this is a connection error (GOAWAY, no record): fields get the whole head's limit too.
        limits.Http2.MaxRequestHeaderFieldSize = Math.Max(options.MaxRequestHeadersBytes, options.MaxRequestLineBytes);
        limits.Http2.HeaderTableSize = 4096;
        limits.Http2.MaxFrameSize = 16 * 1024;
        limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(60);
        limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(30);
    }
}
