using System.Net;
using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using MiAudit.Flows;
using MiAudit.Proxy.Capture;
using Yarp.ReverseProxy.Forwarder;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// The one request handler: forwards every request to its real server with YARP, returns the real answer,
/// and publishes the exchange as a flow once it is over.
/// </summary>
internal sealed class ProxyRequestHandler(
    Access.ProxyAuthentication? authentication,
    IHttpForwarder forwarder,
    HttpMessageInvoker upstream,
    UpstreamConnectionLimit connections,
    FlowDispatcher flows,
    RunningExchanges running,
    CertificatePage.CertificatePage certificatePage,
    ProxyOptions options,
    TimeProvider clock,
    ILogger<ProxyRequestHandler> logger)
{
    // The upstream speaks the client's protocol where the server allows it, as mitmproxy does: an HTTP/2 client gets
    // HTTP/2 upstream if offered, an HTTP/1.1 client HTTP/1.1 (one connection per exchange, not one shared stream pipe).
    private readonly ForwarderRequestConfig _http2Config = Config(HttpVersion.Version20, options.UpstreamActivityTimeout);
    private readonly ForwarderRequestConfig _http11Config = Config(HttpVersion.Version11, options.UpstreamActivityTimeout);

    // An HTTP/1.0 client stays HTTP/1.0 upstream: a server answers 1.0 differently (no chunking, closes by default).
    private readonly ForwarderRequestConfig _http10Config = Config(HttpVersion.Version10, options.UpstreamActivityTimeout);

    // Upgraded streams have their own idle limit: YARP applies the activity timeout to them too.
    private readonly ForwarderRequestConfig _http2UpgradeConfig = Config(HttpVersion.Version20, options.UpgradedIdleTimeout);
    private readonly ForwarderRequestConfig _http11UpgradeConfig = Config(HttpVersion.Version11, options.UpgradedIdleTimeout);

    // An h2c client (HTTP/2 with prior knowledge, inside a cleartext tunnel) knows the origin speaks it; over http://
    // HttpClient would otherwise fall back to HTTP/1.1, which a gRPC server without TLS does not answer.
    private readonly ForwarderRequestConfig _h2cConfig = Config(HttpVersion.Version20, options.UpstreamActivityTimeout, HttpVersionPolicy.RequestVersionExact);
    private readonly ForwarderRequestConfig _h2cUpgradeConfig = Config(HttpVersion.Version20, options.UpgradedIdleTimeout, HttpVersionPolicy.RequestVersionExact);

    private static ForwarderRequestConfig Config(Version version, TimeSpan idle, HttpVersionPolicy policy = HttpVersionPolicy.RequestVersionOrLower) =>
        new() { ActivityTimeout = idle, Version = version, VersionPolicy = policy };

    private ForwarderRequestConfig ConfigFor(HttpContext context, ForwardTarget target)
    {
        if (HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            return _http10Config;
        }

        var http2 = HttpProtocol.IsHttp2(context.Request.Protocol);
        var upgrade = context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
            || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;
        if (http2 && target.Scheme == "http")
        {
            return upgrade ? _h2cUpgradeConfig : _h2cConfig;
        }

        return (http2, upgrade) switch
        {
            (true, true) => _http2UpgradeConfig,
            (true, false) => _http2Config,
            (false, true) => _http11UpgradeConfig,
            (false, false) => _http11Config,
        };
    }

    public async Task HandleAsync(HttpContext context)
    {
        var target = ForwardTarget.Resolve(context);

        // Requests inside a tunnel were authorised at CONNECT; requests to the proxy itself only fetch the public CA page.
        if (target is { Transport: Flows.FlowTransport.PlainHttp } && authentication is not null
            && !authentication.Accepts(context.Request.Headers["Proxy-Authorization"]))
        {
            context.Response.StatusCode = StatusCodes.Status407ProxyAuthenticationRequired;
            context.Response.Headers["Proxy-Authenticate"] = Access.ProxyAuthentication.Challenge;
            await context.Response.WriteAsync("MiAudit: proxy authentication required\n");
            return;
        }

        if (target is null || CertificatePage.CertificatePage.IsMagicHost(target.Host))
        {
            await certificatePage.ServeAsync(context);
            return;
        }

        var recorder = new ExchangeRecorder(context, target, options.BodyCaptureLimit, clock);
        if (TargetCheck.Refusal(context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "",
                context.Request.Protocol, options.MaxRequestLineBytes) is { } refusal)
        {
            // Answered here, not by Kestrel (its own bounds are set higher, ProxyLimits): a reset HTTP/2 stream leaves no record.
            await ErrorPage.WriteAsync(context, refusal.Status, target.Authority, refusal.Reason);
            await flows.PublishAsync(recorder.ToFlow(clock.GetUtcNow(), new Flows.FlowError(Flows.FlowError.RequestRejected,
                $"MiAudit answered {refusal.Status} before forwarding: {refusal.Reason}"), answered: true));
            return;
        }

        flows.ObserveRequest(() => recorder.ToFlow(recorder.StartedAt, error: null, answered: false));
        var config = ConfigFor(context, target);
        ForwarderError error;
        using (running.Track(() => recorder.ToFlow(clock.GetUtcNow(), null, context.Response.HasStarted, inProgress: true)))
        using (connections.BeginRequest(target.Host, target.Port))
        {
            error = await forwarder.SendAsync(context, target.DestinationPrefix, upstream, config, FaithfulTransformer.Instance);
        }

        FlowError? flowError = null;
        var answered = true;
        if (error != ForwarderError.None)
        {
            var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            var failure = UpstreamFailure.Classify(error, exception, target.Authority);
            flowError = failure.Error;
            answered = !failure.ClientGone || context.Response.HasStarted;
            if (!context.Response.HasStarted && !failure.ClientGone)
            {
                await ErrorPage.WriteAsync(context, failure.StatusCode, target.Authority, failure.Error.Message);
            }

            LogFailure(context, target, failure, exception);
        }

        await flows.PublishAsync(recorder.ToFlow(clock.GetUtcNow(), flowError, answered));
    }

    private void LogFailure(HttpContext context, ForwardTarget target, UpstreamFailure failure, Exception? exception)
    {
        if (failure.ClientGone)
        {
            logger.LogDebug("Client left during {Method} {Scheme}://{Authority}{Path}: {Reason}",
                context.Request.Method, target.Scheme, target.Authority, context.Request.Path, failure.Error.Message);
            return;
        }

        logger.LogWarning("{Status} for {Method} {Scheme}://{Authority}{Path}: {Reason}",
            failure.StatusCode, context.Request.Method, target.Scheme, target.Authority, context.Request.Path, failure.Error.Message);
        logger.LogDebug(exception, "Upstream failure detail");
    }
}
