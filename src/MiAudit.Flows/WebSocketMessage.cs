namespace MiAudit.Flows;

/// <summary>Which side sent a message on a connection that was upgraded from HTTP.</summary>
public enum MessageDirection
{
    /// <summary>From the phone to the server.</summary>
    Client,

    /// <summary>From the server to the phone.</summary>
    Server,
}

/// <summary>
/// One WebSocket message (text, binary or close) of an upgraded exchange, reassembled from its frames, unmasked and
/// inflated (permessage-deflate). The payload is captured up to the capture limit; its wire length is the whole message.
/// </summary>
/// <param name="Opcode">The RFC 6455 opcode of the message: 1 text, 2 binary, 8 close.</param>
/// <param name="Note">Why the payload is not what the application saw, when it is not (e.g. it could not be inflated).</param>
public sealed record WebSocketMessage(MessageDirection Direction, DateTimeOffset At, int Opcode, CapturedBody Payload, string? Note = null)
{
    public const int Text = 1;
    public const int Binary = 2;
    public const int Close = 8;
}

/// <summary>
/// Every message an upgraded connection carried, kept or not: a socket that sends 100,000 messages keeps only the first
/// ones (see the capture limits), but the totals say how many there were.
/// </summary>
public sealed record MessageTotals(long ClientMessages, long ClientBytes, long ServerMessages, long ServerBytes);
