using System.Text;
using MiAudit.Flows;

namespace MiAudit.Detection.Tests;

/// <summary>Builds flows as the proxy records them, for tests that feed the pure engine directly.</summary>
public sealed class FlowBuilder
{
    // Ticks, advanced atomically: test classes build flows in parallel, and every flow needs its own later moment.
    private static long _clockTicks = new DateTime(2026, 11, 25, 10, 0, 0, DateTimeKind.Utc).Ticks;

    private readonly List<HeaderField> _headers = [];
    private readonly Uri _url;
    private readonly string _method;
    private readonly List<WebSocketMessage> _messages = [];
    private byte[] _body = [];
    private string _client = "192.168.1.50";

    private FlowBuilder(string method, string url)
    {
        _method = method;
        _url = new Uri(url);
    }

    public static FlowBuilder Get(string url) => new("GET", url);

    public static FlowBuilder Post(string url) => new("POST", url);

    /// <summary>A top-level navigation as Chrome sends it.</summary>
    public static Flow Navigation(string url, string client = "192.168.1.50") =>
        Get(url).From(client)
            .Header("Sec-Fetch-Mode", "navigate").Header("Sec-Fetch-Dest", "document")
            .Header("Accept", "text/html,application/xhtml+xml").Build();

    public FlowBuilder Header(string name, string value)
    {
        _headers.Add(new HeaderField(name, value));
        return this;
    }

    public FlowBuilder From(string client)
    {
        _client = client;
        return this;
    }

    public FlowBuilder Body(string body, string contentType) => Body(Encoding.UTF8.GetBytes(body), contentType);

    public FlowBuilder Body(byte[] body, string contentType)
    {
        _body = body;
        return Header("Content-Type", contentType);
    }

    /// <summary>A WebSocket message on the flow (which then counts as one that opened a socket).</summary>
    public FlowBuilder Message(MessageDirection direction, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        _messages.Add(new WebSocketMessage(direction, DateTimeOffset.UnixEpoch, WebSocketMessage.Text, new CapturedBody(bytes, bytes.Length)));
        return this;
    }

    public FlowBuilder Form(string body) => Body(body, "application/x-www-form-urlencoded");

    public Flow Build()
    {
        var startedAt = new DateTimeOffset(Interlocked.Add(ref _clockTicks, TimeSpan.TicksPerSecond), TimeSpan.Zero);
        return new Flow
        {
            StartedAt = startedAt,
            CompletedAt = startedAt.AddMilliseconds(200),
            ClientAddress = _client,
            Transport = _url.Scheme == "https" ? FlowTransport.InterceptedTls : FlowTransport.PlainHttp,
            HttpVersion = "HTTP/2",
            Method = _method,
            Scheme = _url.Scheme,
            Host = _url.Host,
            Port = _url.Port,
            Path = _url.AbsolutePath,
            Query = _url.Query,
            RequestHeaders = [new HeaderField("Host", _url.Authority), .. _headers],
            RequestBody = CapturedBody.From(_body),
            StatusCode = 200,
            WebSocketMessages = [.. _messages],
            WebSocketTotals = _messages.Count == 0 ? null : new MessageTotals(
                _messages.Count(m => m.Direction == MessageDirection.Client), 0, _messages.Count(m => m.Direction == MessageDirection.Server), 0),
        };
    }
}
