using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using MiAudit.Flows;
using MiAudit.Proxy.Capture;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Keeps on the record the requests Kestrel answers itself before MiAudit sees them (a request line or head over the
/// limits, a malformed target, bad framing): Kestrel reports each on its diagnostic source with the request's features
/// as far as they were parsed, and each becomes a flow with the status Kestrel sent and why.
/// </summary>
internal sealed class RejectedRequests(FlowDispatcher flows, TimeProvider clock, ILogger logger) : IObserver<KeyValuePair<string, object?>>
{
    public const string EventName = "Microsoft.AspNetCore.Server.Kestrel.BadRequest";

    public static IDisposable Subscribe(DiagnosticListener listener, RejectedRequests recorder) =>
        listener.Subscribe(recorder, name => name == EventName);

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key != EventName || value.Value is not IFeatureCollection features)
        {
            return;
        }

        try
        {
            var flow = ToFlow(features);
            _ = PublishAsync(flow);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Runs on Kestrel's connection loop: a fault here must not become Kestrel's.
            logger.LogError(e, "MiAudit bug: a request Kestrel rejected could not be recorded");
        }
    }

    public void OnError(Exception error)
    {
    }

    public void OnCompleted()
    {
    }

    private async Task PublishAsync(Flow flow)
    {
        try
        {
            await flows.PublishAsync(flow);
        }
        catch (ObjectDisposedException)
        {
            // The proxy is stopping and the dispatcher is closed.
        }
    }

    private Flow ToFlow(IFeatureCollection features)
    {
        var now = clock.GetUtcNow();
        var context = new DefaultHttpContext(features);
        var request = features.Get<IHttpRequestFeature>();
        var error = features.Get<IBadRequestExceptionFeature>()?.Error;
        var status = error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
        var target = SafeTarget(context);
        var connection = features.Get<IHttpConnectionFeature>();

        // With no target known (the line was not read that far) whatever Kestrel parsed of it is kept as the path.
        var (path, query) = ExchangeRecorder.SplitTarget(target is null ? request?.RawTarget ?? "" : FaithfulTransformer.OriginForm(context));
        return new Flow
        {
            StartedAt = now,
            CompletedAt = now,
            ClientAddress = ExchangeRecorder.AddressText(connection?.RemoteIpAddress),
            ClientPort = connection?.RemotePort ?? 0,
            Transport = target?.Transport ?? FlowTransport.PlainHttp,
            HttpVersion = request?.Protocol ?? "",
            Method = request?.Method ?? "",
            Scheme = target?.Scheme ?? "http",
            Host = target?.Host ?? "",
            Port = target?.Port ?? 0,
            Path = path,
            Query = query,
            RequestHeaders = request is null ? [] : ExchangeRecorder.Fields(request.Headers),
            RequestBody = new CapturedBody(ReadOnlyMemory<byte>.Empty, 0, ended: false),
            StatusCode = status,
            ClientTls = target?.ClientTls,
            Error = new FlowError(FlowError.RequestRejected, $"MiAudit's HTTP server answered {status} before forwarding: {error?.Message ?? "malformed request"}"),
        };
    }

    // What was parsed may be too little to say where the request was going (a request line over the limit).
    private static ForwardTarget? SafeTarget(HttpContext context)
    {
        try
        {
            return ForwardTarget.Resolve(context);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
        {
            return null;
        }
    }
}
