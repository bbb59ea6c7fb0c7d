using MiAudit.Flows;
using Microsoft.AspNetCore.Http;
using MiAudit.Proxy.Connect;

namespace MiAudit.Proxy.Forwarding;

/// <summary>Where a request received by the proxy should go, and how it arrived.</summary>
internal sealed record ForwardTarget(string Scheme, string Host, int Port, FlowTransport Transport, ClientTls? ClientTls)
{
    /// <summary>The scheme and authority YARP sends to, e.g. <c>https://example.com:443</c>.</summary>
    public string DestinationPrefix => $"{Scheme}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";

    public string Authority => $"{Host}:{Port}";

    /// <summary>
    /// Requests inside a tunnel go where the CONNECT said; absolute-form requests where their URL says.
    /// Null for an origin-form request outside any tunnel: it is addressed to the proxy itself.
    /// </summary>
    public static ForwardTarget? Resolve(HttpContext context)
    {
        if (context.Features.Get<ProxyTunnelFeature>() is { } tunnel)
        {
            return new ForwardTarget(tunnel.Scheme, tunnel.Host, tunnel.Port, tunnel.Transport, tunnel.ClientTls);
        }

        var rawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
        var scheme = rawTarget.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "https"
            : rawTarget.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "http"
            : null;
        if (scheme is null || !context.Request.Host.HasValue)
        {
            return null;
        }

        var host = context.Request.Host.Host.Trim('[', ']');
        var port = context.Request.Host.Port ?? (scheme == "https" ? 443 : 80);
        return new ForwardTarget(scheme, host, port, FlowTransport.PlainHttp, null);
    }
}
