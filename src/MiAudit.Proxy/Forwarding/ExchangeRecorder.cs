using System.Net;
using Microsoft.AspNetCore.Http;
using MiAudit.Flows;
using MiAudit.Proxy.Capture;

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

    public ExchangeRecorder(HttpContext context, ForwardTarget target, int captureLimit, DateTimeOffset startedAt)
    {
        _context = context;
        _target = target;
        StartedAt = startedAt;
        _requestBody = new BodyCapture(captureLimit, () => context.Request.ContentLength);
        _responseBody = new BodyCapture(captureLimit, () => context.Response.ContentLength);
        context.Request.Body = new CapturingReadStream(context.Request.Body, _requestBody);
        context.Response.Body = new CapturingWriteStream(context.Response.Body, _responseBody);
        context.Features.Set(this);
    }

    public DateTimeOffset StartedAt { get; }

    public Version? UpstreamVersion { get; set; }

    public Flow ToFlow(DateTimeOffset completedAt, FlowError? error, bool answered)
    {
        var connection = _context.Connection;
        var remote = connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        var pathAndQuery = FaithfulTransformer.OriginForm(_context);
        var queryStart = pathAndQuery.IndexOf('?');
        return new Flow
        {
            StartedAt = StartedAt,
            CompletedAt = completedAt,
            ClientAddress = remote?.ToString() ?? "",
            ClientPort = connection.RemotePort,
            Transport = _target.Transport,
            HttpVersion = _context.Request.Protocol,
            UpstreamHttpVersion = UpstreamVersion is null ? null : UpstreamVersion.Major >= 2 ? $"HTTP/{UpstreamVersion.Major}" : $"HTTP/{UpstreamVersion}",
            Method = _context.Request.Method,
            Scheme = _target.Scheme,
            Host = _target.Host,
            Port = _target.Port,
            Path = queryStart < 0 ? pathAndQuery : pathAndQuery[..queryStart],
            Query = queryStart < 0 ? "" : pathAndQuery[queryStart..],
            RequestHeaders = Fields(_context.Request.Headers),
            RequestBody = _requestBody.ToCapturedBody(ended: _requestBody.EndSeen || !RequestCanHaveBody),
            StatusCode = answered ? _context.Response.StatusCode : null,
            ResponseHeaders = answered ? Fields(_context.Response.Headers) : [],
            ResponseBody = _responseBody.ToCapturedBody(ended: error is null),
            ClientTls = _target.ClientTls,
            Error = error,
        };
    }

    /// <summary>False for requests that carry no body at all (Kestrel knows from the framing), whose end is never read.</summary>
    private bool RequestCanHaveBody => _context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;

    private static List<HeaderField> Fields(IHeaderDictionary headers)
    {
        var fields = new List<HeaderField>(headers.Count);
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                fields.Add(new HeaderField(name, value ?? ""));
            }
        }

        return fields;
    }
}
