using MiAudit.Flows;

namespace MiAudit.Proxy.Capture;

/// <summary>
/// Keeps the first bytes of a body as it streams past, up to a limit, and counts all of them.
/// Bodies are never buffered whole: a 1 GiB download costs at most the limit.
/// </summary>
/// <param name="expectedLength">The Content-Length, when one is known by the first write: the buffer is then allocated once.</param>
internal sealed class BodyCapture(int limit, Func<long?> expectedLength)
{
    private readonly Lock _lock = new(); // a snapshot of a running exchange reads while the body streams
    private byte[] _buffer = [];
    private int _length;
    private long _wireLength;

    /// <summary>Set when a read returned 0: the sender's body ended.</summary>
    public bool EndSeen { get; private set; }

    public void End() => EndSeen = true;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            AppendLocked(data);
        }
    }

    private void AppendLocked(ReadOnlySpan<byte> data)
    {
        _wireLength += data.Length;
        var take = Math.Min(data.Length, limit - _length);
        if (take <= 0)
        {
            return;
        }

        if (_length + take > _buffer.Length)
        {
            // Size the first buffer to the announced length, else to the first chunk (most bodies arrive in one piece);
            // double only when more comes, so large bodies cost one allocation or a few, never one per chunk.
            var size = _buffer.Length == 0
                ? (int)Math.Clamp(expectedLength() ?? take, take, limit)
                : Math.Min(limit, Math.Max(_length + take, _buffer.Length * 2));
            Array.Resize(ref _buffer, size);
        }

        data[..take].CopyTo(_buffer.AsSpan(_length));
        _length += take;
    }

    /// <param name="ended">Whether the body reached its end (see <see cref="CapturedBody.Ended"/>).</param>
    public CapturedBody ToCapturedBody(bool ended) =>
        _wireLength == 0 && ended ? CapturedBody.Empty : new CapturedBody(_buffer.AsMemory(0, _length), _wireLength, ended);

    /// <summary>A copy of what passed so far, taken while the body may still be streaming.</summary>
    public CapturedBody Snapshot()
    {
        lock (_lock)
        {
            return new CapturedBody(_buffer.AsSpan(0, _length).ToArray(), _wireLength, ended: EndSeen);
        }
    }
}
