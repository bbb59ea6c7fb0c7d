using MiAudit.Flows;

namespace MiAudit.Proxy.Capture;

/// <summary>
/// Keeps the first bytes of a body as it streams past, up to a limit, and counts all of them.
/// Bodies are never buffered whole: a 1 GiB download costs at most the limit.
/// </summary>
internal sealed class BodyCapture(int limit)
{
    private byte[] _buffer = [];
    private int _length;
    private long _wireLength;

    public void Append(ReadOnlySpan<byte> data)
    {
        _wireLength += data.Length;
        var take = Math.Min(data.Length, limit - _length);
        if (take <= 0)
        {
            return;
        }

        if (_length + take > _buffer.Length)
        {
            // Most bodies arrive in one piece: size the first buffer to it, and double only when more comes.
            var size = _buffer.Length == 0 ? take : Math.Min(limit, Math.Max(_length + take, _buffer.Length * 2));
            Array.Resize(ref _buffer, size);
        }

        data[..take].CopyTo(_buffer.AsSpan(_length));
        _length += take;
    }

    public CapturedBody ToCapturedBody() =>
        _wireLength == 0 ? CapturedBody.Empty : new CapturedBody(_buffer.AsMemory(0, _length), _wireLength);
}
