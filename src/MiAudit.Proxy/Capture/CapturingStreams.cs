namespace MiAudit.Proxy.Capture;

/// <summary>Passes reads through unchanged and lets a <see cref="BodyCapture"/> see the bytes (the request body).</summary>
internal sealed class CapturingReadStream(Stream inner, BodyCapture capture) : PassThroughStream(inner)
{
    public override bool CanRead => true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken);
        Seen(buffer.Span[..read], asked: buffer.Length);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = Inner.Read(buffer, offset, count);
        Seen(buffer.AsSpan(offset, read), asked: count);
        return read;
    }

    private void Seen(ReadOnlySpan<byte> data, int asked)
    {
        capture.Append(data);
        if (data.IsEmpty && asked > 0)
        {
            capture.End();
        }
    }
}

/// <summary>Passes writes through unchanged and lets a <see cref="BodyCapture"/> see the bytes (the response body).</summary>
internal sealed class CapturingWriteStream(Stream inner, BodyCapture capture) : PassThroughStream(inner)
{
    public override bool CanWrite => true;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        capture.Append(buffer.Span);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        capture.Append(buffer.AsSpan(offset, count));
        Inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    public override void Flush() => Inner.Flush();
}

/// <summary>The non-seekable stream plumbing both capturing streams share.</summary>
internal abstract class PassThroughStream(Stream inner) : Stream
{
    protected Stream Inner { get; } = inner;

    public override bool CanRead => false;
    public override bool CanWrite => false;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
