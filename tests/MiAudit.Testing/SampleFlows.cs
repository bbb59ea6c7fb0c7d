using MiAudit.Detection.Findings;
using MiAudit.Flows;

namespace MiAudit.Testing;

/// <summary>
/// Flows (and findings) as the proxy records an intercepted HTTPS exchange from a phone on the Wi-Fi, for tests that fill a store
/// or feed detection without traffic; tests vary what matters to them with <c>with { … }</c>.
/// </summary>
public static class SampleFlows
{
    public const string PhoneAddress = "192.168.1.50";

    /// <summary>GET, or POST when there is a body; answered 200 over HTTP/2 with an empty body.</summary>
    public static Flow Https(DateTimeOffset at, string host, string path, string query = "", HeaderField[]? headers = null, byte[]? body = null) => new()
    {
        StartedAt = at,
        CompletedAt = at.AddMilliseconds(50),
        ClientAddress = PhoneAddress,
        ClientPort = 50123,
        Transport = FlowTransport.InterceptedTls,
        HttpVersion = "HTTP/2",
        Method = body is null ? "GET" : "POST",
        Scheme = "https",
        Host = host,
        Port = 443,
        Path = path,
        Query = query,
        RequestHeaders = headers ?? [],
        RequestBody = body is null ? CapturedBody.Empty : CapturedBody.From(body),
        StatusCode = 200,
        ClientTls = new ClientTls(host, "h2", "Tls13"),
    };

    /// <summary>A finding as detection writes one; the transforms are those named in <paramref name="leafPath"/>.</summary>
    public static Finding Finding(string rule, Severity severity, string category, string value, string leafPath) => new()
    {
        RuleId = rule,
        Title = rule,
        Severity = severity,
        Category = category,
        Value = value,
        MatchedAs = "sample",
        LeafPath = leafPath,
        Transforms = leafPath.Split(" → ").Skip(1).Select(step => new string(step.TakeWhile(char.IsAsciiLetterOrDigit).ToArray())).ToArray(),
        Snippet = "…" + value + "…",
    };
}
