namespace MiAudit.Flows;

/// <summary>Why an exchange did not complete normally, or was not decrypted.</summary>
/// <param name="Kind">A short stable key such as <c>upstream-refused</c>, <c>upstream-certificate</c> or <see cref="NotDecrypted"/>.</param>
/// <param name="Message">A human-readable reason.</param>
public sealed record FlowError(string Kind, string Message)
{
    /// <summary>A tunnel relayed untouched (configured or learned pass-through, not TLS or HTTP): the message says why.</summary>
    public const string NotDecrypted = "not-decrypted";

    /// <summary>The client's TLS handshake with MiAudit failed: it refused MiAudit's certificate.</summary>
    public const string ClientTlsHandshake = "client-tls-handshake";

    /// <summary>A WebSocket's bytes stopped being frames MiAudit could follow: later messages are not recorded (still relayed).</summary>
    public const string WebSocketFraming = "websocket-framing";

    /// <summary>The request was answered by MiAudit's HTTP server itself, before forwarding: malformed, or over a limit.</summary>
    public const string RequestRejected = "request-rejected";
}
