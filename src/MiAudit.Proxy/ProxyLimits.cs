using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MiAudit.Proxy;

/// <summary>
/// Kestrel's limits, chosen for a proxy that parses hostile traffic all day: heads are bounded in size, count and time
/// (slowloris), bodies are not (a proxy forwards uploads of any size; the upstream side has its own timeouts).
/// Violations answer 400, 431 or 408 and close the connection; the CONNECT parser applies the same bounds.
/// </summary>
public static class ProxyLimits
{
    public static void Apply(KestrelServerLimits limits)
    {
        limits.MaxConcurrentConnections = 10_000;
        limits.MaxConcurrentUpgradedConnections = 2_000;
        limits.MaxRequestLineSize = 16 * 1024;
        limits.MaxRequestHeadersTotalSize = 64 * 1024;
        limits.MaxRequestHeaderCount = 200;
        limits.MaxRequestBufferSize = 1024 * 1024;
        limits.MaxResponseBufferSize = 1024 * 1024;
        limits.MaxRequestBodySize = null;
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
        limits.MinRequestBodyDataRate = null; // phones on bad Wi-Fi upload slowly
        limits.MinResponseDataRate = null;
        limits.Http2.MaxStreamsPerConnection = 128;
        limits.Http2.MaxRequestHeaderFieldSize = 32 * 1024;
        limits.Http2.HeaderTableSize = 4096;
        limits.Http2.MaxFrameSize = 16 * 1024;
        limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(60);
        limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(30);
    }
}
