using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using MiAudit.Flows;
using MiAudit.Proxy.Capture;
using MiAudit.Proxy.Capture.WebSockets;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Watches one request/response exchange while it is forwarded (bodies as they stream, the upstream version)
/// and turns it into a <see cref="Flow"/> afterwards. Stored as a request feature so the transformer can reach it.
/// </summary>
internal sealed class ExchangeRecorder
{
    private readonly HttpContext _context;
    private readonly ForwardTarget _target;
    private readonly BodyCapture _requestBody;
    private readonly BodyCapture _responseBody;

    private readonly WebSocketRecorder? _webSocket;

    public ExchangeRecorder(HttpContext context, ForwardTarget target, int captureLimit, TimeProvider clock)
    {
        _context = context;
        _target = target;
        StartedAt = clock.GetUtcNow();
        _webSocket = WebSocketCapture.Attach(context, captureLimit, clock);
        _requestBody = new BodyCapture(captureLimit, () => context.Request.ContentLength);
        _responseBody = new BodyCapture(captureLimit, () => context.Response.ContentLength);
        context.Request.Body = new CapturingReadStream(context.Request.Body, _requestBody);
        context.Features.Set<IHttpResponseBodyFeature>(new CapturingResponseBodyFeature(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>(), _responseBody));
        context.Features.Set(this);
    }

    public DateTimeOffset StartedAt { get; }

    /// <summary>One id for the exchange: its snapshots while it runs and the finished flow are the same flow.</summary>
    public Guid FlowId { get; } = Guid.CreateVersion7();

    public Version? UpstreamVersion { get; set; }

    /// <summary>The trailers the server sent after the response body, as forwarded.</summary>
    public IReadOnlyList<HeaderField> ResponseTrailers { get; set; } = [];

    /// <param name="inProgress">A snapshot of an exchange still running: bodies and messages so far, not ended.</param>
    public Flow ToFlow(DateTimeOffset completedAt, FlowError? error, bool answered, bool inProgress = false)
    {
        var connection = _context.Connection;

        var (messages, totals) = _webSocket?.Snapshot() ?? ([], null!);
        if (_webSocket?.LostReason is { } lost && error is null && !inProgress)
        {
            error = new FlowError(FlowError.WebSocketFraming, lost);
        }

        var (path, query) = SplitTarget(FaithfulTransformer.OriginForm(_context));
        return new Flow
        {
            Id = FlowId,
            StartedAt = StartedAt,
            CompletedAt = completedAt,
            ClientAddress = AddressText(connection.RemoteIpAddress),
            ClientPort = connection.RemotePort,
            Transport = _target.Transport,
            HttpVersion = _context.Request.Protocol,
            UpstreamHttpVersion = UpstreamVersion is null ? null : UpstreamVersion.Major >= 2 ? $"HTTP/{UpstreamVersion.Major}" : $"HTTP/{UpstreamVersion}",
            Method = _context.Request.Method,
            Scheme = _target.Scheme,
            Host = _target.Host,
            Port = _target.Port,
            Path = path,
            Query = query,
            RequestHeaders = Fields(_context.Request.Headers),
            RequestBody = inProgress ? _requestBody.Snapshot() : _requestBody.ToCapturedBody(ended: _requestBody.EndSeen || !RequestCanHaveBody),
            RequestTrailers = inProgress ? [] : RequestTrailers(),
            StatusCode = answered ? _context.Response.StatusCode : null,
            ResponseHeaders = answered ? Fields(_context.Response.Headers) : [],
            ResponseBody = inProgress ? _responseBody.Snapshot() : _responseBody.ToCapturedBody(ended: error is null),
            ResponseTrailers = answered ? ResponseTrailers : [],
            WebSocketMessages = messages,
            WebSocketTotals = _webSocket is null ? null : totals,
            InProgress = inProgress,
            ClientTls = _target.ClientTls,
            Error = error,
        };
    }

    /// <summary>False for requests that carry no body at all (Kestrel knows from the framing), whose end is never read.</summary>
    private bool RequestCanHaveBody => _context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;

    private List<HeaderField> RequestTrailers() =>
        _context.Features.Get<IHttpRequestTrailersFeature>() is { Available: true } feature ? Fields(feature.Trailers) : [];

    /// <summary>The path and the query (with its <c>?</c>) of an origin-form target, as sent.</summary>
    internal static (string Path, string Query) SplitTarget(string pathAndQuery)
    {
        var queryStart = pathAndQuery.IndexOf('?');
        return queryStart < 0 ? (pathAndQuery, "") : (pathAndQuery[..queryStart], pathAndQuery[queryStart..]);
    }

    /// <summary>The client's address as stored: IPv4 clients of a dual-stack socket as plain IPv4.</summary>
    internal static string AddressText(IPAddress? address) =>
        (address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address)?.ToString() ?? "";

    /// <summary>Header fields in the order received, a repeated name once per value, values as <see cref="HeaderBytes.Readable"/>.</summary>
    internal static List<HeaderField> Fields(IHeaderDictionary headers)
    {
        var fields = new List<HeaderField>(headers.Count);
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                fields.Add(new HeaderField(name, HeaderBytes.Readable(value ?? "")));
            }
        }

        return fields;
    }
}
