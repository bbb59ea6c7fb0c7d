using MiAudit.Flows;

namespace MiAudit.Proxy.Connect;

/// <summary>
/// Set on a connection by <see cref="ConnectMiddleware"/> once a CONNECT tunnel is open and served as HTTP:
/// requests inside it go to this host and port, whatever their Host header says.
/// </summary>
public sealed class ProxyTunnelFeature
{
    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary><see cref="FlowTransport.InterceptedTls"/> or <see cref="FlowTransport.TunnelHttp"/>.</summary>
    public required FlowTransport Transport { get; init; }

    public ClientTls? ClientTls { get; init; }

    public string Scheme => Transport == FlowTransport.InterceptedTls ? "https" : "http";
}
