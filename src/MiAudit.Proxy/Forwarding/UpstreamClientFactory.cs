using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Builds the one <see cref="HttpMessageInvoker"/> that carries every forwarded request. It is configured to be
/// byte-faithful: an auditing proxy must not add cookies, follow redirects, decompress, or add trace headers.
/// </summary>
internal static class UpstreamClientFactory
{
    public static HttpMessageInvoker Create(UpstreamConnector connector, UpstreamCertificateValidator validator, UpstreamConnectionLimit limit)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            // The default propagator would add traceparent to every request the phone sends.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = 256,
            RequestHeaderEncodingSelector = (_, _) => HeaderBytes.Wire,
            ResponseHeaderEncodingSelector = (_, _) => HeaderBytes.Wire,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = await connector.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken);
                return limit.Track(context.DnsEndPoint.Host, context.DnsEndPoint.Port, socket);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    validator.Validate(TargetHostOf(sender), certificate, chain, errors),
            },
        };

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private static string TargetHostOf(object sender) => sender is SslStream ssl ? ssl.TargetHostName : "server";
}
