namespace MiAudit.Flows;

/// <summary>
/// One finished (or failed) exchange as the client sent it and the server answered it.
/// The proxy produces flows, detection reads them, storage keeps them; HAR import creates them too.
/// </summary>
public sealed record Flow
{
    /// <summary>Time-ordered unique id (UUIDv7).</summary>
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>The client's IP address as text (no port).</summary>
    public required string ClientAddress { get; init; }

    public int ClientPort { get; init; }

    public required FlowTransport Transport { get; init; }

    /// <summary>The protocol the client spoke to MiAudit: <c>HTTP/1.1</c>, <c>HTTP/2</c>; empty for relayed tunnels.</summary>
    public string HttpVersion { get; init; } = "";

    /// <summary>The protocol MiAudit spoke to the server, when an answer came.</summary>
    public string? UpstreamHttpVersion { get; init; }

    public required string Method { get; init; }

    /// <summary><c>http</c> or <c>https</c>; for relayed tunnels the scheme the tunnel implies.</summary>
    public required string Scheme { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>The path as sent, still percent-encoded.</summary>
    public string Path { get; init; } = "/";

    /// <summary>The raw query with its leading <c>?</c>, or empty.</summary>
    public string Query { get; init; } = "";

    public IReadOnlyList<HeaderField> RequestHeaders { get; init; } = [];

    public CapturedBody RequestBody { get; init; } = CapturedBody.Empty;

    /// <summary>The status the client received, or null when no response was given.</summary>
    public int? StatusCode { get; init; }

    public IReadOnlyList<HeaderField> ResponseHeaders { get; init; } = [];

    public CapturedBody ResponseBody { get; init; } = CapturedBody.Empty;

    /// <summary>Trailer fields the client sent after the request body (HTTP/2, chunked HTTP/1.1).</summary>
    public IReadOnlyList<HeaderField> RequestTrailers { get; init; } = [];

    /// <summary>Trailer fields the server sent after the response body (gRPC's <c>grpc-status</c> lives here).</summary>
    public IReadOnlyList<HeaderField> ResponseTrailers { get; init; } = [];

    /// <summary>The messages of a WebSocket the exchange opened, in the order they passed (both directions).</summary>
    public IReadOnlyList<WebSocketMessage> WebSocketMessages { get; init; } = [];

    /// <summary>How many messages the WebSocket carried in all, kept or not; null when the exchange opened none.</summary>
    public MessageTotals? WebSocketTotals { get; init; }

    /// <summary>
    /// True for a snapshot of an exchange still running (a WebSocket, a stream, a long poll), stored so that it is on
    /// disk while it lasts; the finished flow replaces it.
    /// </summary>
    public bool InProgress { get; init; }

    public ClientTls? ClientTls { get; init; }

    public FlowError? Error { get; init; }

    /// <summary>
    /// True for what MiAudit could not read: a tunnel relayed untouched, or one whose client refused MiAudit's
    /// certificate. These are evidence too (of what was not audited), and are always stored.
    /// </summary>
    public bool NotDecrypted => Transport is FlowTransport.PassthroughTls or FlowTransport.OpaqueTcp || Error?.Kind == FlowError.ClientTlsHandshake;

    /// <summary>The request URL as the client meant it: default ports omitted.</summary>
    public string Url => ComposeUrl(Scheme, Host, Port, Path, Query);

    /// <summary><c>host</c> or <c>host:port</c> when the port is not the scheme's default; IPv6 in brackets.</summary>
    public string Authority => ComposeAuthority(Scheme, Host, Port);

    public static string ComposeUrl(string scheme, string host, int port, string path, string query) =>
        $"{scheme}://{ComposeAuthority(scheme, host, port)}{path}{query}";

    public static string ComposeAuthority(string scheme, string host, int port)
    {
        var name = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        var defaultPort = scheme == "https" ? 443 : 80;
        return port == defaultPort ? name : $"{name}:{port}";
    }

    /// <summary>The first value of a request header, matched case-insensitively.</summary>
    public string? RequestHeader(string name) => FirstValue(RequestHeaders, name);

    /// <summary>The first value of a response header, matched case-insensitively.</summary>
    public string? ResponseHeader(string name) => FirstValue(ResponseHeaders, name);

    private static string? FirstValue(IReadOnlyList<HeaderField> headers, string name)
    {
        foreach (var header in headers)
        {
            if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }
}
