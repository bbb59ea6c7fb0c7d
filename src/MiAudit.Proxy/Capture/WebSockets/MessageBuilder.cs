using MiAudit.Flows;

namespace MiAudit.Proxy.Capture.WebSockets;

/// <summary>One message while its frames pass: keeps up to the bytes the recorder granted it, counts all of them.</summary>
internal sealed class MessageBuilder(MessageDirection direction, DateTimeOffset at, int opcode, bool compressed, int grant, bool kept)
{
    private byte[] _buffer = [];
    private int _kept;

    public MessageDirection Direction { get; } = direction;

    public DateTimeOffset At { get; } = at;

    public int Opcode { get; } = opcode;

    /// <summary>Sent compressed (RSV1 with permessage-deflate negotiated): its bytes pass through the inflater.</summary>
    public bool Compressed { get; } = compressed;

    /// <summary>Whether the message is recorded at all (the connection's message cap may have been reached).</summary>
    public bool Kept { get; } = kept;

    /// <summary>The bytes the message may keep (the recorder's grant).</summary>
    public int Grant { get; } = grant;

    /// <summary>The message's length as the application sees it (inflated), kept or not.</summary>
    public long Length { get; private set; }

    public string? Note { get; private set; }

    /// <summary>Whether the payload must be looked at: compressed messages are inflated even past the grant, to keep the stream.</summary>
    public bool WantsBytes => Compressed || (Kept && _kept < Grant);

    public int KeptBytes => _kept;

    public void Count(int length) => Length += length;

    public void Append(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        var take = Kept ? Math.Min(data.Length, Grant - _kept) : 0;
        if (take <= 0)
        {
            return;
        }

        if (_kept + take > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(Grant, Math.Max(_kept + take, _buffer.Length * 2)));
        }

        data[..take].CopyTo(_buffer.AsSpan(_kept));
        _kept += take;
    }

    public void Noted(string note) => Note ??= note;

    public WebSocketMessage ToMessage(bool ended) =>
        new(Direction, At, Opcode, new CapturedBody(_buffer.AsMemory(0, _kept), Math.Max(Length, _kept), ended), Note);
}
