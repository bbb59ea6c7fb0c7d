using Microsoft.AspNetCore.Http;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Request targets MiAudit answers itself instead of forwarding, because no upstream request could carry them as the
/// client sent them. Kestrel refuses such HTTP/1.1 request lines itself; an HTTP/2 <c>:path</c> reaches us.
/// </summary>
internal static class TargetCheck
{
    /// <returns>The status to answer and why, or null to forward.</returns>
    public static (int Status, string Reason)? Refusal(string rawTarget, string protocol, int maxTargetBytes)
    {
        if (rawTarget.Length > maxTargetBytes)
        {
            return (StatusCodes.Status414UriTooLong,
                $"the request target is {rawTarget.Length:N0} bytes, over --max-request-line ({maxTargetBytes / 1024} KiB)");
        }

        if (HttpProtocol.IsHttp11(protocol) || HttpProtocol.IsHttp10(protocol))
        {
            return null;
        }

        // A space or control byte would split or corrupt an HTTP/1.1 request line, and an HTTP/2 or HTTP/1.1 origin
        // would get it percent-encoded or altered (non-ASCII reached one as a NUL byte): neither is what the phone sent.
        for (var i = 0; i < rawTarget.Length; i++)
        {
            var c = rawTarget[i];
            if (c <= ' ' || c == '#' || c >= 0x7F)
            {
                var what = c < 0x80 ? $"byte 0x{(int)c:X2}" : $"character U+{(int)c:X4}";
                return (StatusCodes.Status400BadRequest,
                    $"the request target holds {what} at offset {i}, which no request line can carry as sent; not forwarded");
            }
        }

        return null;
    }
}
