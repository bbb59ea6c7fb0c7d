namespace MiAudit.Proxy.Capture.WebSockets;

/// <summary>
/// The client's side of an upgraded connection, as the forwarder uses it: what it reads is what the client sent, what
/// it writes is what the server sent. Both pass unchanged; the frame readers only watch.
/// </summary>
internal sealed class WebSocketTapStream(Stream inner, WebSocketFrameReader fromClient, WebSocketFrameReader fromServer) : PassThroughStream(inner)
{
    public override bool CanRead => true;
    public override bool CanWrite => true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken);
        Seen(fromClient, buffer.Span[..read], ended: read == 0 && buffer.Length > 0);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = Inner.Read(buffer, offset, count);
        Seen(fromClient, buffer.AsSpan(offset, read), ended: read == 0 && count > 0);
        return read;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Seen(fromServer, buffer.Span, ended: false);
        return Inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Seen(fromServer, buffer.AsSpan(offset, count), ended: false);
        Inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    public override void Flush() => Inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            fromClient.End();
            fromServer.End();
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        fromClient.End();
        fromServer.End();
        await Inner.DisposeAsync();
        await base.DisposeAsync();
    }

    private static void Seen(WebSocketFrameReader reader, ReadOnlySpan<byte> data, bool ended)
    {
        reader.Feed(data);
        if (ended)
        {
            reader.End();
        }
    }
}
