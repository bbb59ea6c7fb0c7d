using System.Net.Sockets;
using System.Security.Authentication;
using MiAudit.Flows;
using Yarp.ReverseProxy.Forwarder;

namespace MiAudit.Proxy.Forwarding;

/// <summary>What went wrong talking to the server, the status to answer the client with, and a reason a person can read.</summary>
public sealed record UpstreamFailure(int StatusCode, FlowError Error, bool ClientGone)
{
    public static UpstreamFailure Classify(ForwarderError error, Exception? exception, string authority)
    {
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
            or ForwarderError.ResponseBodyCanceled or ForwarderError.UpgradeRequestCanceled
            or ForwarderError.UpgradeResponseCanceled or ForwarderError.RequestBodyClient
            or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient)
        {
            return new(499, new FlowError("client-aborted", $"the client went away ({error})"), ClientGone: true);
        }

        if (error is ForwarderError.RequestTimedOut or ForwarderError.UpgradeActivityTimeout)
        {
            return Gateway(504, "upstream-timeout", $"{authority} did not answer in time");
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case Access.UpstreamForbiddenException forbidden:
                    return Gateway(502, "upstream-forbidden", forbidden.Message);
                case UpstreamCertificateException certificate:
                    return Gateway(502, "upstream-certificate", certificate.Message);
                case AuthenticationException tls:
                    return Gateway(502, "upstream-tls", $"TLS with {authority} failed: {tls.Message}");
                case TimeoutException timeout:
                    return Gateway(504, "upstream-timeout", timeout.Message);
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return Gateway(502, "upstream-dns", $"DNS lookup of {authority} failed");
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return Gateway(502, "upstream-refused", $"{authority} refused the connection");
                case SocketException { SocketErrorCode: SocketError.TimedOut }:
                    return Gateway(504, "upstream-timeout", $"connecting to {authority} timed out");
                case SocketException socket:
                    return Gateway(502, "upstream-network", $"network error talking to {authority}: {socket.SocketErrorCode}");
            }
        }

        var detail = exception?.GetBaseException().Message ?? error.ToString();
        return Gateway(502, "upstream-error", $"exchange with {authority} failed ({error}): {detail}");
    }

    private static UpstreamFailure Gateway(int status, string kind, string message) => new(status, new FlowError(kind, message), ClientGone: false);
}
