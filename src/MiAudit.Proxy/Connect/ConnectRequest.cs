using MiAudit.Flows;

namespace MiAudit.Proxy.Connect;

/// <summary>A parsed <c>CONNECT host:port HTTP/1.1</c> head.</summary>
public sealed record ConnectRequest(string Host, int Port, string HttpVersion, IReadOnlyList<HeaderField> Headers)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>Why a CONNECT head was refused, with the status to answer.</summary>
public sealed record ConnectHeadError(int StatusCode, string Reason);
