using MiAudit.Storage.Reading;

namespace MiAudit.Storage.Export.Parquet;

/// <summary>
/// Parquet for analysis (DuckDB, pandas, Spark): <c>findings.parquet</c>, one row per finding as in the CSV, and
/// <c>flows.parquet</c>, one row per flow without bodies (they stay in the store and the HAR export). Times are UTC
/// timestamps, severities integers (0 info … 4 critical, as stored). docs/storage.md shows how to read them.
/// </summary>
public static class ParquetExporter
{
    public const string FindingsFile = "findings.parquet";
    public const string FlowsFile = "flows.parquet";

    // Built per export: a table buffers one row group of values.
    private static ParquetTable<FindingRow> Findings() => new(
    [
        new NumberColumn<FindingRow, long>("finding_id", r => r.FindingId),
        new NumberColumn<FindingRow, long>("flow_id", r => r.FlowId),
        new TimeColumn<FindingRow>("time", r => r.Time),
        new NumberColumn<FindingRow, long>("session_id", r => r.SessionId),
        new TextColumn<FindingRow>("session", r => r.Session),
        new TextColumn<FindingRow>("client", r => r.Client),
        new TextColumn<FindingRow>("method", r => r.Method),
        new TextColumn<FindingRow>("url", r => r.Url),
        new TextColumn<FindingRow>("host", r => r.Host),
        new NullableNumberColumn<FindingRow, int>("status", r => r.Status),
        new TextColumn<FindingRow>("rule", r => r.RuleId),
        new TextColumn<FindingRow>("title", r => r.Title),
        new NumberColumn<FindingRow, int>("severity", r => (int)r.Severity),
        new TextColumn<FindingRow>("category", r => r.Category),
        new TextColumn<FindingRow>("value", r => r.Value),
        new TextColumn<FindingRow>("matched_as", r => r.MatchedAs),
        new TextColumn<FindingRow>("leaf_path", r => r.LeafPath),
        new TextColumn<FindingRow>("transforms", r => r.TransformsText),
        new TextColumn<FindingRow>("snippet", r => r.Snippet),
    ]);

    private static ParquetTable<StoredFlow> Flows() => new(
    [
        new NumberColumn<StoredFlow, long>("flow_id", f => f.RowId),
        new TextColumn<StoredFlow>("uid", f => f.Flow.Id.ToString()),
        new NumberColumn<StoredFlow, long>("session_id", f => f.SessionId),
        new TextColumn<StoredFlow>("session", f => f.SessionLabel),
        new TimeColumn<StoredFlow>("started_at", f => f.Flow.StartedAt),
        new TimeColumn<StoredFlow>("completed_at", f => f.Flow.CompletedAt),
        new TextColumn<StoredFlow>("client_address", f => f.Flow.ClientAddress),
        new NumberColumn<StoredFlow, int>("client_port", f => f.Flow.ClientPort),
        new TextColumn<StoredFlow>("transport", f => f.Flow.Transport.ToString()),
        new TextColumn<StoredFlow>("http_version", f => f.Flow.HttpVersion),
        new TextColumn<StoredFlow>("upstream_http_version", f => f.Flow.UpstreamHttpVersion, nullable: true),
        new TextColumn<StoredFlow>("method", f => f.Flow.Method),
        new TextColumn<StoredFlow>("url", f => f.Flow.Url),
        new TextColumn<StoredFlow>("host", f => f.Flow.Host),
        new NumberColumn<StoredFlow, int>("port", f => f.Flow.Port),
        new TextColumn<StoredFlow>("path", f => f.Flow.Path),
        new TextColumn<StoredFlow>("query", f => f.Flow.Query),
        new NullableNumberColumn<StoredFlow, int>("status", f => f.Flow.StatusCode),
        new TextColumn<StoredFlow>("request_headers", f => Writing.HeaderJson.Serialize(f.Flow.RequestHeaders)),
        new NumberColumn<StoredFlow, long>("request_body_size", f => f.Flow.RequestBody.WireLength),
        new TextColumn<StoredFlow>("response_headers", f => Writing.HeaderJson.Serialize(f.Flow.ResponseHeaders)),
        new NumberColumn<StoredFlow, long>("response_body_size", f => f.Flow.ResponseBody.WireLength),
        new TextColumn<StoredFlow>("tls_server_name", f => f.Flow.ClientTls?.ServerName, nullable: true),
        new TextColumn<StoredFlow>("tls_alpn", f => f.Flow.ClientTls?.ApplicationProtocol, nullable: true),
        new TextColumn<StoredFlow>("tls_fingerprint", f => f.Flow.ClientTls?.Fingerprint, nullable: true),
        new TextColumn<StoredFlow>("error_kind", f => f.Flow.Error?.Kind, nullable: true),
        new TextColumn<StoredFlow>("error_message", f => f.Flow.Error?.Message, nullable: true),
        new NumberColumn<StoredFlow, int>("findings", f => f.Findings.Count),
        new NullableNumberColumn<StoredFlow, int>("max_severity", f => f.Findings.Count == 0 ? null : f.Findings.Max(x => (int)x.Severity)),
        new TextColumn<StoredFlow>("categories", f => string.Join(',', f.Findings.Select(x => x.Category).Distinct().Order(StringComparer.Ordinal))),
    ]);

    public static long WriteFindings(IEnumerable<FindingRow> rows, Stream output, Action<long>? progress = null) => Findings().Write(rows, output, progress);

    public static long WriteFlows(IEnumerable<StoredFlow> flows, Stream output, Action<long>? progress = null) => Flows().Write(flows, output, progress);
}
