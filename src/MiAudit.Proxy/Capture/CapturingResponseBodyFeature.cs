using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MiAudit.Proxy.Capture;

/// <summary>
/// The server's response body feature with its writes seen by a <see cref="BodyCapture"/>. Setting
/// <c>Response.Body</c> to a wrapping stream instead would put ASP.NET's stream feature in front of Kestrel's, whose
/// start is a flush: a response completed without a body would then leave as HEADERS plus an empty DATA frame instead
/// of one HEADERS frame with END_STREAM (gRPC clients read such a trailers-only error as INTERNAL).
/// </summary>
internal sealed class CapturingResponseBodyFeature : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private PipeWriter? _writer;

    public CapturingResponseBodyFeature(IHttpResponseBodyFeature inner, BodyCapture capture)
    {
        _inner = inner;
        Stream = new CapturingWriteStream(inner.Stream, capture);
    }

    public Stream Stream { get; }

    public PipeWriter Writer => _writer ??= PipeWriter.Create(Stream, new StreamPipeWriterOptions(leaveOpen: true));

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync();
        }

        await _inner.CompleteAsync();
    }
}
