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

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = new Uri(destinationPrefix + OriginForm(httpContext), RawUri);
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
