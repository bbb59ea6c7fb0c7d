namespace MiAudit.Flows;

/// <summary>How the client's bytes reached MiAudit and what MiAudit could see of them.</summary>
public enum FlowTransport
{
    /// <summary>A plain request to the proxy, absolute-form (<c>GET http://host/path</c>).</summary>
    PlainHttp,

    /// <summary>Plain HTTP sent inside a CONNECT tunnel.</summary>
    TunnelHttp,

    /// <summary>HTTPS that MiAudit decrypted with a leaf certificate from its CA.</summary>
    InterceptedTls,

    /// <summary>TLS relayed untouched (configured or learned pass-through host): only the tunnel is visible.</summary>
    PassthroughTls,

    /// <summary>A CONNECT tunnel that carried neither TLS nor HTTP, relayed as opaque bytes.</summary>
    OpaqueTcp,

    /// <summary>
    /// TLS that MiAudit decrypted which carried no HTTP (an ALPN such as <c>mqtt</c>, or bytes that are no request):
    /// relayed to the server over MiAudit's own TLS, what passed each way captured and the client's bytes scanned.
    /// </summary>
    DecryptedOpaque,
}
