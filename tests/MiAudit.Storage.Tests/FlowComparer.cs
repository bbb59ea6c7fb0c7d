using MiAudit.Flows;

namespace MiAudit.Storage.Tests;

/// <summary>Compares what matters of two flows (bodies by content), for round-trip tests.</summary>
public sealed class FlowComparer : IEqualityComparer<Flow>
{
    public static readonly FlowComparer Instance = new();

    public bool Equals(Flow? x, Flow? y) =>
        x is not null && y is not null
        && x.Method == y.Method && x.Url == y.Url && x.StatusCode == y.StatusCode && x.HttpVersion == y.HttpVersion
        && x.ClientAddress == y.ClientAddress && x.Transport == y.Transport
        && x.StartedAt.ToUnixTimeMilliseconds() == y.StartedAt.ToUnixTimeMilliseconds()
        && x.RequestHeaders.SequenceEqual(y.RequestHeaders) && x.ResponseHeaders.SequenceEqual(y.ResponseHeaders)
        && x.RequestBody.Bytes.Span.SequenceEqual(y.RequestBody.Bytes.Span) && x.ResponseBody.Bytes.Span.SequenceEqual(y.ResponseBody.Bytes.Span)
        && x.RequestBody.WireLength == y.RequestBody.WireLength && x.ResponseBody.WireLength == y.ResponseBody.WireLength
        && x.WebSocketMessages.Count == y.WebSocketMessages.Count
        && x.WebSocketMessages.Zip(y.WebSocketMessages).All(pair => SameMessage(pair.First, pair.Second));

    private static bool SameMessage(WebSocketMessage x, WebSocketMessage y) =>
        x.Direction == y.Direction && x.Opcode == y.Opcode && x.At.ToUnixTimeMilliseconds() == y.At.ToUnixTimeMilliseconds()
        && x.Payload.Bytes.Span.SequenceEqual(y.Payload.Bytes.Span) && x.Payload.WireLength == y.Payload.WireLength;

    public int GetHashCode(Flow obj) => obj.Url.GetHashCode(StringComparison.Ordinal);
}
