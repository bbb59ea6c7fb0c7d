namespace MiAudit.Proxy.Connect;

/// <summary>
/// A stream whose first read is one already started on <paramref name="inner"/> into <paramref name="buffer"/>: a
/// client that stays silent is relayed without cancelling its read (a cancelled SslStream read can lose bytes).
/// </summary>
internal sealed class PendingReadStream(Task<int> pending, Memory<byte> buffer, Stream inner) : Stream
{
    private Stream? _rest;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_rest is null)
        {
            var read = await pending.WaitAsync(cancellationToken);
            _rest = read == 0 ? inner : new PrefixedStream(buffer[..read], inner);
        }

        return await _rest.ReadAsync(destination, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] array, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(array.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] array, int offset, int count) => ReadAsync(array, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(source, cancellationToken);

    public override Task WriteAsync(byte[] array, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(array, offset, count, cancellationToken);

    public override void Write(byte[] array, int offset, int count) => inner.Write(array, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
