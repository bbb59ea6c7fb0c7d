using System.Net;
using System.Net.Http;
using Microsoft.AspNetCore.Http;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// The origin's response body, read so that the response head reaches the client when the origin sent it. YARP holds
/// the head back until the first body byte (so that a body-less answer keeps END_STREAM on its HEADERS frame, as gRPC's
/// trailers-only errors need); that also holds back the head of every stream, long poll and gRPC call whose server
/// speaks later. Here the head is flushed exactly when a body read has to wait for the origin: a body that has already
/// ended (trailers-only, 204, HEAD) is not waited for, so it still goes out as one frame.
/// </summary>
internal sealed class ResponseStartContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly HttpResponse _response;

    private ResponseStartContent(HttpContent inner, HttpResponse response)
    {
        _inner = inner;
        _response = response;
    }

    /// <summary>Replaces the body of an ordinary response; upgraded streams (101, extended CONNECT) keep theirs.</summary>
    public static void Wrap(HttpResponseMessage proxyResponse, HttpResponse response)
    {
        if (proxyResponse.StatusCode == HttpStatusCode.SwitchingProtocols || proxyResponse.RequestMessage?.Method == HttpMethod.Connect)
        {
            return;
        }

        // Content headers were already copied to the client's response by the base transformer.
        proxyResponse.Content = new ResponseStartContent(proxyResponse.Content, response);
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new StartingStream(await _inner.ReadAsStreamAsync(cancellationToken), _response);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class StartingStream(Stream inner, HttpResponse response) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(buffer, cancellationToken);
            if (!read.IsCompleted && !response.HasStarted)
            {
                // The origin has said its head and not yet its body: the client gets the head now.
                try
                {
                    // StartAsync alone only queues the head in Kestrel's output; a flush sends it.
                    await response.Body.FlushAsync(cancellationToken);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // The client is gone: the forwarder's next write to it says so, as a client-side failure.
                }
            }

            return await read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
