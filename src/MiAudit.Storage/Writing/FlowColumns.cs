using System.Text.Json;
using MiAudit.Detection.Findings;

namespace MiAudit.Storage.Writing;

/// <summary>
/// The values a flow record is stored as, in the column order of <see cref="Names"/>, for every backend: what is
/// kept of a body, when it counts as truncated, how limits and severities are written, is decided here once.
/// Each backend binds them its way through an <see cref="IFlowColumnSink"/>.
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

    /// <summary>Hands the record's values to <paramref name="sink"/>, column by column (a struct sink: no boxing).</summary>
    public static void Write<TSink>(ref TSink sink, long sessionId, FlowRecord record)
        where TSink : IFlowColumnSink
    {
        var flow = record.Flow;
        var keep = record.KeepBodies;
        sink.Text(0, flow.Id.ToString());
        sink.Integer(1, sessionId);
        sink.Time(2, flow.StartedAt);
        sink.Time(3, flow.CompletedAt);
        sink.Text(4, flow.ClientAddress);
        sink.Integer(5, flow.ClientPort);
        sink.Text(6, flow.Transport.ToString());
        sink.Text(7, flow.HttpVersion);
        sink.Text(8, flow.UpstreamHttpVersion);
        sink.Text(9, flow.Method);
        sink.Text(10, flow.Scheme);
        sink.Text(11, flow.Host);
        sink.Integer(12, flow.Port);
        sink.Text(13, flow.Path);
        sink.Text(14, flow.Query);
        sink.Integer(15, flow.StatusCode);
        sink.Text(16, HeaderJson.Serialize(flow.RequestHeaders));
        sink.Bytes(17, keep ? flow.RequestBody.Bytes : default);
        sink.Integer(18, flow.RequestBody.WireLength);
        sink.Integer(19, (keep ? flow.RequestBody.Truncated : flow.RequestBody.WireLength > 0 || !flow.RequestBody.Ended) ? 1 : 0);
        sink.Text(20, HeaderJson.Serialize(flow.ResponseHeaders));
        sink.Bytes(21, keep ? flow.ResponseBody.Bytes : default);
        sink.Integer(22, flow.ResponseBody.WireLength);
        sink.Integer(23, (keep ? flow.ResponseBody.Truncated : flow.ResponseBody.WireLength > 0 || !flow.ResponseBody.Ended) ? 1 : 0);
        sink.Text(24, flow.ClientTls?.ServerName);
        sink.Text(25, flow.ClientTls?.ApplicationProtocol);
        sink.Text(26, flow.ClientTls?.Protocol);
        sink.Text(27, flow.Error?.Kind);
        sink.Text(28, flow.Error?.Message);
        sink.Text(29, DecodeLimits(record));
        sink.Integer(30, MaxSeverity(record.Findings));
        sink.Integer(31, record.AnalysisPending ? 1 : 0);
        sink.Text(32, flow.RequestTrailers.Count == 0 ? null : HeaderJson.Serialize(flow.RequestTrailers));
        sink.Text(33, flow.ResponseTrailers.Count == 0 ? null : HeaderJson.Serialize(flow.ResponseTrailers));
        sink.Integer(34, flow.InProgress ? 1 : 0);
        sink.Integer(35, flow.WebSocketTotals?.ClientMessages);
        sink.Integer(36, flow.WebSocketTotals?.ClientBytes);
        sink.Integer(37, flow.WebSocketTotals?.ServerMessages);
        sink.Integer(38, flow.WebSocketTotals?.ServerBytes);
        sink.Text(39, flow.ClientTls?.Fingerprint);
    }

    public static string? DecodeLimits(FlowRecord record) =>
        record.DecodeLimits.Count == 0 ? null : JsonSerializer.Serialize(record.DecodeLimits, StorageJson.Default.IReadOnlyListString);

    public static int? MaxSeverity(IReadOnlyList<Finding> findings) => findings.Count == 0 ? null : (int)findings.Max(f => f.Severity);

    public static string Transforms(Finding finding) => JsonSerializer.Serialize(finding.Transforms, StorageJson.Default.IReadOnlyListString);

}

/// <summary>Where <see cref="FlowColumns.Write"/> puts a record's values: a statement's parameters, or a row of arrays.</summary>
internal interface IFlowColumnSink
{
    void Text(int column, string? value);

    void Integer(int column, long? value);

    void Time(int column, DateTimeOffset value);

    /// <summary>A body, or empty when none is kept (stored as NULL, not as an empty value).</summary>
    void Bytes(int column, ReadOnlyMemory<byte> value);
}
