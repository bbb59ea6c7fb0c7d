using System.Text;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

/// <summary>Flows and findings with the awkward values exports must survive.</summary>
public static class StoredData
{
    public static readonly string[] AwkwardValues =
    [
        "plain",
        "comma, and \"quotes\"",
        "line one\nline two\r\nline three",
        "non-ASCII: 小米浏览器 — ünïcödé ✓",
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+1-555-0100",
        "-2+3",
        "@SUM(A1:A2)",
        "\tleading tab",
    ];

    // Advanced atomically: test classes run in parallel, and the time filters need every flow at its own later moment.
    private static long _clockTicks = new DateTime(2026, 11, 25, 9, 0, 0, DateTimeKind.Utc).Ticks;

    public static Flow Flow(string host = "sa.tracker.example", string path = "/sa.gif", string query = "?project=p", byte[]? requestBody = null, byte[]? responseBody = null)
    {
        var startedAt = new DateTimeOffset(Interlocked.Add(ref _clockTicks, TimeSpan.TicksPerSecond), TimeSpan.Zero);
        HeaderField[] headers = [new("Host", host), new("User-Agent", "Mozilla/5.0 (Linux; Android 10; K)"), new("Cookie", "a=1"), new("Cookie", "b=2"), new("Content-Type", "application/x-www-form-urlencoded")];
        return SampleFlows.Https(startedAt, host, path, query, headers, requestBody) with
        {
            CompletedAt = startedAt.AddMilliseconds(120),
            UpstreamHttpVersion = "HTTP/1.1",
            ResponseHeaders = [new("Content-Type", "image/gif"), new("Set-Cookie", "sid=xyz; Path=/")],
            ResponseBody = CapturedBody.From(responseBody ?? [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x00, 0xff]),
        };
    }

    public static Finding Finding(string value, Severity severity = Severity.High, string rule = "visited-url-leak", string category = "url-leak") => new()
    {
        RuleId = rule,
        Title = "Visited page URL sent to another site",
        Severity = severity,
        Category = category,
        Value = value,
        MatchedAs = "visited URL",
        LeafPath = "query[data] → base64 → json.properties.$url",
        Transforms = ["base64", "json"],
        Snippet = "…\"$url\":\"" + value + "\"…",
    };

    /// <summary>A flow that opened a WebSocket: text both ways, a binary message, a message cut at the capture limit, a close.</summary>
    public static Flow Socket()
    {
        var at = new DateTimeOffset(2026, 11, 25, 10, 0, 1, TimeSpan.Zero);
        WebSocketMessage[] messages =
        [
            new(MessageDirection.Client, at, WebSocketMessage.Text, CapturedBody.From(Utf8("{\"aid\":\"3f8a6b2c1d4e5f60\"}"))),
            new(MessageDirection.Server, at.AddMilliseconds(5), WebSocketMessage.Text, CapturedBody.From(Utf8("ok"))),
            new(MessageDirection.Client, at.AddMilliseconds(9), WebSocketMessage.Binary, CapturedBody.From([0, 1, 2, 255])),
            new(MessageDirection.Client, at.AddMilliseconds(12), WebSocketMessage.Text, new CapturedBody(Utf8("zzzz"), 9000)),
            new(MessageDirection.Client, at.AddMilliseconds(20), WebSocketMessage.Close, CapturedBody.From([3, 232])),
        ];
        return Flow(host: "chat.example", path: "/ws", query: "") with
        {
            StatusCode = 101,
            WebSocketMessages = messages,
            WebSocketTotals = new MessageTotals(4, 4 + 9000 + 2 + 27, 1, 2),
            ResponseTrailers = [new HeaderField("grpc-status", "0")],
        };
    }

    public static FlowRecord Record(Flow flow, params Finding[] findings) => new(flow, findings, [], KeepBodies: true);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
