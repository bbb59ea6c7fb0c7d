using System.IO.Compression;

namespace MiAudit.Proxy.Capture.WebSockets;

/// <summary>
/// The permessage-deflate decompressor of one direction (RFC 7692): one raw-DEFLATE stream across all messages, since
/// with context takeover each message may refer to the ones before it. Compressed bytes are fed as they pass and the
/// output drained at once, so memory stays at the capture limit however large a message inflates.
/// </summary>
internal sealed class MessageInflater
{
    // Inflating beyond this many bytes in one message is a bomb, not a message: the direction stops being inflated.
    private const long MaxInflatedPerMessage = 256L << 20;
    private static readonly byte[] MessageTail = [0x00, 0x00, 0xFF, 0xFF];

    private readonly FeedStream _feed = new();
    private readonly DeflateStream _inflate;
    private readonly byte[] _output = new byte[16 * 1024];
    private bool _broken;

    public MessageInflater() => _inflate = new DeflateStream(_feed, CompressionMode.Decompress);

    /// <summary>Inflates a chunk of a compressed message into it; false once the stream cannot be followed.</summary>
    public bool Inflate(ReadOnlySpan<byte> compressed, MessageBuilder message)
    {
        if (_broken)
        {
            return false;
        }

        _feed.Set(compressed);
        return Drain(message);
    }

    /// <summary>Ends a message: the sender removed the 4-byte tail of its flush, which the stream needs back.</summary>
    public bool Finish(MessageBuilder message)
    {
        if (_broken)
        {
            return false;
        }

        _feed.Set(MessageTail);
        return Drain(message);
    }

    private bool Drain(MessageBuilder message)
    {
        try
        {
            int read;
            while ((read = _inflate.Read(_output)) > 0)
            {
                message.Append(_output.AsSpan(0, read));
                if (message.Length > MaxInflatedPerMessage)
                {
                    _broken = true;
                    return false;
                }
            }

            return true;
        }
        catch (InvalidDataException)
        {
            _broken = true;
            return false;
        }
    }

    /// <summary>
    /// Hands the inflater the bytes of one chunk, then reports the end of input until the next chunk. The chunk is copied
    /// into a buffer kept across chunks: the inflater reads it while the frame reader's span is still valid, but a span
    /// cannot be held in a field.
    /// </summary>
    private sealed class FeedStream : Stream
    {
        private byte[] _data = [];
        private int _length;
        private int _position;

        public void Set(ReadOnlySpan<byte> data)
        {
            if (data.Length > _data.Length)
            {
                _data = new byte[Math.Max(data.Length, 2 * _data.Length)];
            }

            data.CopyTo(_data);
            _length = data.Length;
            _position = 0;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, _length - _position);
            Array.Copy(_data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
