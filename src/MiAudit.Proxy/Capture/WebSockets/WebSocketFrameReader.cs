using System.Buffers;
using System.Buffers.Binary;
using MiAudit.Flows;

namespace MiAudit.Proxy.Capture.WebSockets;

/// <summary>
/// Follows the RFC 6455 frames one side of an upgraded connection sends, as they pass in chunks of any size, and hands
/// each reassembled message (unmasked, inflated) to the recorder. It only watches: the bytes are forwarded unchanged
/// whatever it makes of them, and framing it cannot follow ends its watching, not the connection.
/// </summary>
internal sealed class WebSocketFrameReader(MessageDirection direction, WebSocketRecorder recorder, bool deflateNegotiated)
{
    private const int MaxHeader = 14;

    private readonly byte[] _header = new byte[MaxHeader];
    private int _headerLength;
    private long _payloadRemaining;
    private long _payloadOffset;
    private bool _inPayload;
    private bool _fin;
    private int _opcode;
    private bool _masked;
    private uint _maskKey;
    private MessageInflater? _inflater;
    private MessageBuilder? _message;
    private MessageBuilder? _control;
    private bool _lost;

    public void Feed(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && !_lost)
        {
            if (!_inPayload)
            {
                var taken = ReadHeader(data);
                data = data[taken..];
                continue;
            }

            var chunk = data[..(int)Math.Min(data.Length, _payloadRemaining)];
            Payload(chunk);
            data = data[chunk.Length..];
            _payloadRemaining -= chunk.Length;
            _payloadOffset += chunk.Length;
            if (_payloadRemaining == 0)
            {
                FrameEnded();
            }
        }
    }

    /// <summary>The connection ended: a message still open is recorded with what passed of it.</summary>
    public void End()
    {
        if (_message is { } open && !_lost)
        {
            _message = null;
            recorder.Complete(open, ended: false);
        }
    }

    /// <summary>Takes header bytes (the size is known once the first two are in); parses the header once complete.</summary>
    private int ReadHeader(ReadOnlySpan<byte> data)
    {
        var taken = 0;
        while (taken < data.Length && _headerLength < HeaderSize())
        {
            _header[_headerLength++] = data[taken++];
        }

        if (_headerLength == HeaderSize())
        {
            ParseHeader();
        }

        return taken;
    }

    private int HeaderSize()
    {
        if (_headerLength < 2)
        {
            return 2;
        }

        var length7 = _header[1] & 0x7F;
        var masked = (_header[1] & 0x80) != 0;
        return 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
    }

    private void ParseHeader()
    {
        _fin = (_header[0] & 0x80) != 0;
        var compressed = (_header[0] & 0x40) != 0;
        _opcode = _header[0] & 0x0F;
        _masked = (_header[1] & 0x80) != 0;
        var length7 = _header[1] & 0x7F;
        var at = 2;
        long length = length7;
        if (length7 == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2));
            at = 4;
        }
        else if (length7 == 127)
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2));
            at = 10;
        }

        _maskKey = _masked ? BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(at)) : 0;
        _headerLength = 0;
        var control = _opcode >= 8;
        if (length < 0 || _opcode is > 2 and < 8 or > 10 || (control && (length > 125 || !_fin)) || (_opcode == 0 && _message is null)
            || (_opcode is 1 or 2 && _message is not null))
        {
            Lose($"the {Name} sent bytes that are not WebSocket frames; its messages after this point are not recorded");
            return;
        }

        if (control)
        {
            _control = _opcode == WebSocketMessage.Close ? recorder.Begin(direction, _opcode, compressed: false) : null;
        }
        else if (_opcode != 0)
        {
            _message = recorder.Begin(direction, _opcode, compressed && deflateNegotiated);
        }

        _payloadRemaining = length;
        _payloadOffset = 0;
        _inPayload = length > 0;
        if (!_inPayload)
        {
            FrameEnded();
        }
    }

    private void Payload(ReadOnlySpan<byte> chunk)
    {
        var target = _opcode >= 8 ? _control : _message;
        if (target is null || !target.WantsBytes)
        {
            target?.Count(chunk.Length);
            return;
        }

        if (!_masked)
        {
            Deliver(target, chunk);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(chunk.Length);
        try
        {
            Span<byte> key = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(key, _maskKey);
            var unmasked = buffer.AsSpan(0, chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
            {
                unmasked[i] = (byte)(chunk[i] ^ key[(int)((_payloadOffset + i) & 3)]);
            }

            Deliver(target, unmasked);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Deliver(MessageBuilder target, ReadOnlySpan<byte> payload)
    {
        if (!target.Compressed)
        {
            target.Append(payload);
            return;
        }

        _inflater ??= new MessageInflater();
        if (!_inflater.Inflate(payload, target))
        {
            target.Noted("could not be inflated (permessage-deflate)");
        }
    }

    private void FrameEnded()
    {
        _inPayload = false;
        if (_opcode >= 8)
        {
            if (_control is { } control)
            {
                _control = null;
                recorder.Complete(control, ended: true);
            }

            return;
        }

        if (!_fin || _message is not { } message)
        {
            return;
        }

        _message = null;
        if (message.Compressed && _inflater is { } inflater && !inflater.Finish(message))
        {
            message.Noted("could not be inflated (permessage-deflate)");
        }

        recorder.Complete(message, ended: true);
    }

    private void Lose(string why)
    {
        _lost = true;
        recorder.Lost(why);
    }

    private string Name => direction == MessageDirection.Client ? "client" : "server";
}
