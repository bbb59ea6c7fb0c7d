using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using MiAudit.Flows;
using Yarp.ReverseProxy.Forwarder;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Copies the request as the client sent it: every header (Host included, no X-Forwarded-*) and the raw target,
/// because re-encoding the path from Kestrel's decoded form would change what the server sees.
/// </summary>
internal sealed class FaithfulTransformer : HttpTransformer
{
    public static readonly FaithfulTransformer Instance = new();

    private static readonly UriCreationOptions RawUri = new() { DangerousDisablePathAndQueryCanonicalization = true };

    // YARP drops these as hop-by-hop, but a browser sends Upgrade-Insecure-Requests with every navigation and nothing
    // on the way consumes it or Alt-Svc: a server that never sees them can tell it is being audited.
    private static readonly string[] EndToEnd = ["Upgrade-Insecure-Requests", "Alt-Svc"];

    // Connection-specific on HTTP/1.1, so they pass where the client and the origin both speak it (an HTTP/1.1 client
    // is always forwarded as HTTP/1.1) and the client believes it speaks to the origin (inside a tunnel; a request in
    // absolute form addresses them to the proxy). For an upgrade, YARP re-adds Connection itself.
    private static readonly string[] SameVersionHopByHop = ["Connection", "Keep-Alive", "TE"];

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var headers = httpContext.Request.Headers;
        Restore(headers, proxyRequest, EndToEnd);
        if (HttpProtocol.IsHttp11(httpContext.Request.Protocol) && httpContext.Features.Get<Connect.ProxyTunnelFeature>() is not null
            && httpContext.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest != true)
        {
            Restore(headers, proxyRequest, SameVersionHopByHop);
        }

        proxyRequest.RequestUri = new Uri(destinationPrefix + OriginForm(httpContext), RawUri);
    }

    private static void Restore(IHeaderDictionary from, HttpRequestMessage to, string[] names)
    {
        foreach (var name in names)
        {
            if (from.TryGetValue(name, out var values))
            {
                to.Headers.Remove(name); // the base may have added a filtered form (TE: trailers from HTTP/2)
                to.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null && httpContext.Features.Get<ExchangeRecorder>() is { } recorder)
        {
            recorder.UpstreamVersion = proxyResponse.Version;
        }

        var forward = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (forward && proxyResponse is not null)
        {
            ResponseStartContent.Wrap(proxyResponse, httpContext.Response);
        }

        return forward;
    }

    public override async ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        await base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);

        // Read here: once the forwarder completes the response, the server's trailer collection is no longer readable.
        if (httpContext.Features.Get<ExchangeRecorder>() is { } recorder)
        {
            recorder.ResponseTrailers = proxyResponse.TrailingHeaders
                .SelectMany(trailer => trailer.Value.Select(value => new HeaderField(trailer.Key, HeaderBytes.Readable(value)))).ToList();
        }
    }

    /// <summary>The path and query exactly as received, for origin-form, absolute-form and HTTP/2 :path alike.</summary>
    internal static string OriginForm(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (raw.StartsWith('/'))
        {
            return raw;
        }

        var afterScheme = raw.IndexOf("://", StringComparison.Ordinal);
        if (afterScheme > 0)
        {
            // Absolute-form: keep what follows the authority, byte for byte.
            var pathStart = raw.IndexOfAny(['/', '?'], afterScheme + 3);
            return pathStart < 0 ? "/" : raw[pathStart] == '?' ? "/" + raw[pathStart..] : raw[pathStart..];
        }

        return context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
    }
}
