using System.Text.Json;
using System.Data.Common;
using MiAudit.Storage.Sql;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Masking;
using MiAudit.Flows;
using MiAudit.Storage.Export;

namespace MiAudit.Storage.Reading;

/// <summary>
/// Streaming reads, in either engine: rows come one at a time, so exports of millions of findings use constant memory.
/// With a masking policy, every row and flow read is masked before a writer sees it. Each read runs on a connection
/// leased for as long as it is enumerated: PostgreSQL runs one statement at a time per connection, and a rescan reads
/// two streams of one session at once.
/// </summary>
public sealed class AuditQueries : IAuditQueries
{
    private readonly Func<ConnectionLease> _lease;
    private readonly SqlDialect _dialect;
    private readonly MaskingPolicy _masking;

    /// <param name="connection">An open connection to a MiAudit database, shared by every read (SQLite).</param>
    public AuditQueries(DbConnection connection, MaskingPolicy? masking = null)
        : this(() => new ConnectionLease(connection, owned: false), SqlDialects.For(connection), masking)
    {
    }

    internal AuditQueries(Func<ConnectionLease> lease, SqlDialect dialect, MaskingPolicy? masking)
    {
        _lease = lease;
        _dialect = dialect;
        _masking = masking ?? MaskingPolicy.None;
    }

    /// <summary>Findings with their flow and session, oldest first.</summary>
    public IEnumerable<FindingRow> Findings(FindingFilter filter)
    {
        // Read through the dialect's cursor: on SQLite the raw statement, as exports stream millions of rows.
        using var lease = _lease();
        using var command = lease.Connection.CreateCommand();
        var where = FindingFilter.And([.. filter.FlowConditions(command, _dialect), .. filter.FindingConditions(command, _dialect)]);
        command.CommandText = $"""
            SELECT x.id, f.id, f.started_at, s.label, f.client_address, f.method, f.scheme, f.host, f.port, f.path, f.query,
                   f.status, x.rule_id, x.title, x.severity, x.category, x.value, x.matched_as, x.leaf_path, x.transforms, x.snippet, f.session_id
            FROM findings x
            JOIN flows f ON f.id = x.flow_id
            JOIN sessions s ON s.id = f.session_id
            WHERE {where}
            ORDER BY f.started_at, f.id, x.id;
            """;
        using var statement = _dialect.Cursor(lease.Connection, command);
        while (statement.Step())
        {
            yield return _masking.Apply(new FindingRow(
                statement.Int64(0),
                statement.Int64(1),
                statement.Text(2),
                statement.Text(3),
                statement.Text(4),
                statement.Text(5),
                Flow.ComposeUrl(statement.Text(6), statement.Text(7), (int)statement.Int64(8), statement.Text(9), statement.Text(10)),
                statement.Text(7),
                statement.IsNull(11) ? null : (int)statement.Int64(11),
                statement.Text(12),
                statement.Text(13),
                (Severity)statement.Int64(14),
                statement.Text(15),
                statement.Text(16),
                statement.Text(17),
                statement.Text(18),
                statement.Text(19),
                statement.Text(20),
                statement.Int64(21)));
        }
    }

    /// <summary>Stored flows (with their findings) in time order; with a findings filter, only flows that have a matching finding.</summary>
    /// <param name="byCompletion">In the order they finished (the order live analysis saw them) rather than started.</param>
    public IEnumerable<StoredFlow> Flows(FindingFilter filter, bool byCompletion = false)
    {
        using var lease = _lease();
        using var command = lease.Connection.CreateCommand();
        var conditions = filter.SelectedFlowConditions(command, _dialect);

        // Enumerated here, not returned: the command must live until the caller has read the last row.
        foreach (var flow in ReadFlows(command, FindingFilter.And(conditions), byCompletion ? "f.completed_at, f.id" : "f.started_at, f.id"))
        {
            yield return flow;
        }
    }

    /// <summary>
    /// What was not decrypted: per session label, host and reason, how many connections and when (tunnels relayed
    /// untouched, refused certificates). The session and time parts of <paramref name="filter"/> apply.
    /// </summary>
    public IReadOnlyList<NotDecryptedHost> NotDecrypted(FindingFilter filter)
    {
        using var lease = _lease();
        using var command = lease.Connection.CreateCommand();
        var conditions = (filter with { RuleId = null, Category = null, MinSeverity = null }).FlowConditions(command, _dialect);
        conditions.Add($"(f.transport IN ('{FlowTransport.PassthroughTls}', '{FlowTransport.OpaqueTcp}') OR f.error_kind = '{FlowError.ClientTlsHandshake}')");
        command.CommandText = $"""
            SELECT s.label, f.host, COALESCE(f.error_message, f.transport), COUNT(*), MIN(f.started_at), MAX(f.started_at)
            FROM flows f JOIN sessions s ON s.id = f.session_id
            WHERE {FindingFilter.And(conditions)}
            GROUP BY s.label, f.host, COALESCE(f.error_message, f.transport)
            ORDER BY s.label, COUNT(*) DESC, f.host;
            """;
        using var reader = command.ExecuteReader();
        var hosts = new List<NotDecryptedHost>();
        while (reader.Read())
        {
            hosts.Add(new NotDecryptedHost(reader.GetString(0), reader.GetString(1), reader.GetString(2), SqlDialect.Long(reader, 3),
                _dialect.ReadTime(reader, 4), _dialect.ReadTime(reader, 5)));
        }

        return hosts;
    }

    /// <summary>One stored flow by its row id (the <c>flow_id</c> of its findings), or null.</summary>
    public StoredFlow? FlowById(long rowId)
    {
        using var lease = _lease();
        using var command = lease.Connection.CreateCommand();
        _dialect.Add(command, "@flow", rowId);
        return ReadFlows(command, "f.id = @flow").ToList().FirstOrDefault();
    }

    public IReadOnlyList<FlowSummary> FlowPage(FlowPageQuery query)
    {
        using var lease = _lease();
        using var command = lease.Connection.CreateCommand();
        var conditions = query.Filter.SelectedFlowConditions(command, _dialect);

        if (query.Method is { } method)
        {
            conditions.Add("f.method = @method");
            _dialect.Add(command, "@method", method);
        }

        if (query.Status is { } status)
        {
            conditions.Add("f.status = @status");
            _dialect.Add(command, "@status", status);
        }

        if (query.Ids is { } ids)
        {
            conditions.Add(ids.Count == 0 ? "1 = 0" : $"f.id IN ({string.Join(',', ids)})");
        }

        if (query.BeforeId is { } before)
        {
            conditions.Add("f.id < @before");
            _dialect.Add(command, "@before", before);
        }

        if (query.AfterId is { } after)
        {
            conditions.Add("f.id > @after");
            _dialect.Add(command, "@after", after);
        }

        _dialect.Add(command, "@limit", (long)Math.Clamp(query.Limit, 1, 1000));
        command.CommandText = $"""
            SELECT f.id, f.session_id, s.label, f.started_at, f.client_address, f.method, f.scheme, f.host, f.port, f.path, f.query,
                   f.status, f.request_body_size, f.response_body_size, f.transport, f.error_kind, f.max_severity,
                   (SELECT {_dialect.JoinDistinct("x.category")} FROM findings x WHERE x.flow_id = f.id)
            FROM flows f JOIN sessions s ON s.id = f.session_id
            WHERE {FindingFilter.And(conditions)}
            ORDER BY f.id DESC
            LIMIT @limit;
            """;
        using var reader = command.ExecuteReader();
        var page = new List<FlowSummary>();
        while (reader.Read())
        {
            var host = reader.GetString(7);
            page.Add(_masking.Apply(new FlowSummary(
                SqlDialect.Long(reader, 0),
                SqlDialect.Long(reader, 1),
                reader.GetString(2),
                _dialect.ReadTime(reader, 3),
                reader.GetString(4),
                reader.GetString(5),
                Flow.ComposeUrl(reader.GetString(6), host, (int)SqlDialect.Long(reader, 8), reader.GetString(9), reader.GetString(10)),
                host,
                reader.IsDBNull(11) ? null : (int)SqlDialect.Long(reader, 11),
                SqlDialect.Long(reader, 12),
                SqlDialect.Long(reader, 13),
                reader.GetString(14),
                reader.IsDBNull(15) ? null : reader.GetString(15),
                reader.IsDBNull(16) ? null : (int)SqlDialect.Long(reader, 16),
                reader.IsDBNull(17) ? [] : reader.GetString(17).Split(',').Order(StringComparer.Ordinal).ToArray())));
        }

        return page;
    }

    public long LatestFlowId()
    {
        using var lease = _lease();
        using var command = lease.Connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(id), 0) FROM flows;";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private IEnumerable<StoredFlow> ReadFlows(DbCommand command, string where, string order = "f.started_at, f.id")
    {
        command.CommandText = $"""
            SELECT f.id, f.uid, s.label, f.started_at, f.completed_at, f.client_address, f.client_port, f.transport, f.http_version,
                   f.upstream_http_version, f.method, f.scheme, f.host, f.port, f.path, f.query, f.status, f.request_headers,
                   f.request_body, f.request_body_size, f.response_headers, f.response_body, f.response_body_size,
                   f.tls_server_name, f.tls_alpn, f.tls_version, f.error_kind, f.error_message, f.session_id,
                   f.request_body_truncated, f.response_body_truncated, f.request_trailers, f.response_trailers, f.in_progress,
                   f.ws_client_messages, f.ws_client_bytes, f.ws_server_messages, f.ws_server_bytes, f.tls_fingerprint
            FROM flows f JOIN sessions s ON s.id = f.session_id
            WHERE {where}
            ORDER BY {order};
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var flowId = SqlDialect.Long(reader, 0);
            var flow = new Flow
            {
                Id = Guid.Parse(reader.GetString(1)),
                StartedAt = _dialect.ReadTime(reader, 3),
                CompletedAt = _dialect.ReadTime(reader, 4),
                ClientAddress = reader.GetString(5),
                ClientPort = (int)SqlDialect.Long(reader, 6),
                Transport = Enum.Parse<FlowTransport>(reader.GetString(7)),
                HttpVersion = reader.GetString(8),
                UpstreamHttpVersion = reader.IsDBNull(9) ? null : reader.GetString(9),
                Method = reader.GetString(10),
                Scheme = reader.GetString(11),
                Host = reader.GetString(12),
                Port = (int)SqlDialect.Long(reader, 13),
                Path = reader.GetString(14),
                Query = reader.GetString(15),
                StatusCode = reader.IsDBNull(16) ? null : (int)SqlDialect.Long(reader, 16),
                RequestHeaders = Writing.HeaderJson.Deserialize(reader.GetString(17)),
                RequestBody = Body(reader, 18, 19, 29),
                ResponseHeaders = Writing.HeaderJson.Deserialize(reader.GetString(20)),
                ResponseBody = Body(reader, 21, 22, 30),
                ClientTls = reader.IsDBNull(24) ? null : new ClientTls(reader.IsDBNull(23) ? null : reader.GetString(23), reader.GetString(24), reader.IsDBNull(25) ? "" : reader.GetString(25))
                {
                    Fingerprint = reader.IsDBNull(38) ? null : reader.GetString(38),
                },
                Error = reader.IsDBNull(26) ? null : new FlowError(reader.GetString(26), reader.IsDBNull(27) ? "" : reader.GetString(27)),
                RequestTrailers = reader.IsDBNull(31) ? [] : Writing.HeaderJson.Deserialize(reader.GetString(31)),
                ResponseTrailers = reader.IsDBNull(32) ? [] : Writing.HeaderJson.Deserialize(reader.GetString(32)),
                InProgress = SqlDialect.Long(reader, 33) != 0,
                WebSocketTotals = reader.IsDBNull(34) ? null
                    : new MessageTotals(SqlDialect.Long(reader, 34), SqlDialect.Long(reader, 35), SqlDialect.Long(reader, 36), SqlDialect.Long(reader, 37)),
            };
            if (flow.WebSocketTotals is not null)
            {
                flow = flow with { WebSocketMessages = MessagesOf(flowId) };
            }

            yield return _masking.Apply(new StoredFlow(flowId, SqlDialect.Long(reader, 28), reader.GetString(2), flow, FindingsOf(flowId)));
        }
    }

    private List<WebSocketMessage> MessagesOf(long flowId) => ChildRows(
        "SELECT direction, at, opcode, size, data, truncated, note FROM websocket_messages WHERE flow_id = @id ORDER BY idx;", flowId,
        reader => new WebSocketMessage(
            reader.GetString(0) == "client" ? MessageDirection.Client : MessageDirection.Server,
            _dialect.ReadTime(reader, 1),
            (int)SqlDialect.Long(reader, 2),
            Body(reader, 4, 3, 5),
            reader.IsDBNull(6) ? null : reader.GetString(6)));

    private List<Finding> FindingsOf(long flowId) => ChildRows(
        "SELECT rule_id, title, severity, category, value, matched_as, leaf_path, transforms, snippet FROM findings WHERE flow_id = @id ORDER BY id;", flowId,
        reader => new Finding
        {
            RuleId = reader.GetString(0),
            Title = reader.GetString(1),
            Severity = (Severity)SqlDialect.Long(reader, 2),
            Category = reader.GetString(3),
            Value = reader.GetString(4),
            MatchedAs = reader.GetString(5),
            LeafPath = reader.GetString(6),
            Transforms = StringArrayJson.Parse(reader.GetString(7)),
            Snippet = reader.GetString(8),
        });

    /// <summary>The rows of a table that hangs off one flow (<c>@id</c> in the query), read with <paramref name="read"/>.</summary>
    private List<T> ChildRows<T>(string sql, long flowId, Func<DbDataReader, T> read)
    {
        // A lease of its own: the flows' reader is still open on the first.
        using var lease = _lease();
        using var command = lease.Connection.CreateCommand();
        command.CommandText = sql;
        _dialect.Add(command, "@id", flowId);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static CapturedBody Body(DbDataReader reader, int bytesColumn, int sizeColumn, int truncatedColumn)
    {
        var bytes = reader.IsDBNull(bytesColumn) ? [] : (byte[])reader.GetValue(bytesColumn);
        var size = Math.Max(bytes.Length, SqlDialect.Long(reader, sizeColumn));
        // Marked truncated with every byte that passed kept: the body itself was cut short on the wire.
        var ended = !(SqlDialect.Long(reader, truncatedColumn) != 0 && bytes.Length >= size);
        return new CapturedBody(bytes, size, ended);
    }
}

/// <summary>Connections to a host that MiAudit did not decrypt in a session, and why.</summary>
public sealed record NotDecryptedHost(string SessionLabel, string Host, string Reason, long Connections, DateTimeOffset First, DateTimeOffset Last);

/// <summary>A flow as stored, with its row id, session and findings.</summary>
public sealed record StoredFlow(long RowId, long SessionId, string SessionLabel, Flow Flow, IReadOnlyList<Finding> Findings);
