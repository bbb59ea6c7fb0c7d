using System.Text.Json;
using MiAudit.Detection.Findings;

namespace MiAudit.Storage.Writing;

/// <summary>
/// The values a flow record is stored as, in the column order of <see cref="Names"/>, for every backend: what is
/// kept of a body, when it counts as truncated, how limits and severities are written, is decided here once.
/// Times are <see cref="DateTimeOffset"/> and bodies <see cref="ReadOnlyMemory{T}"/>; each backend binds them its way.
/// </summary>
internal static class FlowColumns
{
    public const string Names = """
        uid, session_id, started_at, completed_at, client_address, client_port, transport, http_version,
        upstream_http_version, method, scheme, host, port, path, query, status, request_headers, request_body,
        request_body_size, request_body_truncated, response_headers, response_body, response_body_size,
        response_body_truncated, tls_server_name, tls_alpn, tls_version, error_kind, error_message, decode_limits, max_severity,
        analysis_pending, request_trailers, response_trailers, in_progress, ws_client_messages, ws_client_bytes,
        ws_server_messages, ws_server_bytes, tls_fingerprint
        """;

    public const int Count = 40;

    /// <summary>Writes the record's values into <paramref name="values"/> (of length <see cref="Count"/>).</summary>
    public static void Fill(object?[] values, long sessionId, FlowRecord record)
    {
        var flow = record.Flow;
        var keep = record.KeepBodies;
        values[0] = flow.Id.ToString();
        values[1] = sessionId;
        values[2] = flow.StartedAt;
        values[3] = flow.CompletedAt;
        values[4] = flow.ClientAddress;
        values[5] = flow.ClientPort;
        values[6] = flow.Transport.ToString();
        values[7] = flow.HttpVersion;
        values[8] = flow.UpstreamHttpVersion;
        values[9] = flow.Method;
        values[10] = flow.Scheme;
        values[11] = flow.Host;
        values[12] = flow.Port;
        values[13] = flow.Path;
        values[14] = flow.Query;
        values[15] = flow.StatusCode;
        values[16] = HeaderJson.Serialize(flow.RequestHeaders);
        values[17] = Body(keep ? flow.RequestBody.Bytes : default);
        values[18] = flow.RequestBody.WireLength;
        values[19] = (keep ? flow.RequestBody.Truncated : flow.RequestBody.WireLength > 0 || !flow.RequestBody.Ended) ? 1 : 0;
        values[20] = HeaderJson.Serialize(flow.ResponseHeaders);
        values[21] = Body(keep ? flow.ResponseBody.Bytes : default);
        values[22] = flow.ResponseBody.WireLength;
        values[23] = (keep ? flow.ResponseBody.Truncated : flow.ResponseBody.WireLength > 0 || !flow.ResponseBody.Ended) ? 1 : 0;
        values[24] = flow.ClientTls?.ServerName;
        values[25] = flow.ClientTls?.ApplicationProtocol;
        values[26] = flow.ClientTls?.Protocol;
        values[27] = flow.Error?.Kind;
        values[28] = flow.Error?.Message;
        values[29] = DecodeLimits(record);
        values[30] = MaxSeverity(record.Findings);
        values[31] = record.AnalysisPending ? 1 : 0;
        values[32] = flow.RequestTrailers.Count == 0 ? null : HeaderJson.Serialize(flow.RequestTrailers);
        values[33] = flow.ResponseTrailers.Count == 0 ? null : HeaderJson.Serialize(flow.ResponseTrailers);
        values[34] = flow.InProgress ? 1 : 0;
        values[35] = flow.WebSocketTotals?.ClientMessages;
        values[36] = flow.WebSocketTotals?.ClientBytes;
        values[37] = flow.WebSocketTotals?.ServerMessages;
        values[38] = flow.WebSocketTotals?.ServerBytes;
        values[39] = flow.ClientTls?.Fingerprint;
    }

    public static string? DecodeLimits(FlowRecord record) =>
        record.DecodeLimits.Count == 0 ? null : JsonSerializer.Serialize(record.DecodeLimits, StorageJson.Default.IReadOnlyListString);

    public static int? MaxSeverity(IReadOnlyList<Finding> findings) => findings.Count == 0 ? null : (int)findings.Max(f => f.Severity);

    public static string Transforms(Finding finding) => JsonSerializer.Serialize(finding.Transforms, StorageJson.Default.IReadOnlyListString);

    /// <summary>A kept body, or null when nothing is kept (stored as NULL, not as an empty value).</summary>
    public static object? Body(ReadOnlyMemory<byte> body) => body.IsEmpty ? null : body;
}
