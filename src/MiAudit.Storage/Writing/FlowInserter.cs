using System.Text.Json;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using MiAudit.Detection.Findings;
using MiAudit.Flows;

namespace MiAudit.Storage.Writing;

/// <summary>
/// Prepared INSERTs for flows and findings on one connection, reused across batches. Parameters are bound by position
/// on the raw SQLite statements: Microsoft.Data.Sqlite looks every parameter up by name on every execution, which
/// capped the writer below what the proxy produces under load.
/// </summary>
internal sealed class FlowInserter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insertFlow;
    private readonly sqlite3_stmt _insertFinding;
    private readonly sqlite3_stmt _insertMessage;
    private readonly sqlite3_stmt _deleteSnapshot;
    private readonly sqlite3_stmt _deleteFindings;
    private readonly sqlite3_stmt _deleteFlow;
    private readonly sqlite3_stmt _markAnalysed;
    private readonly sqlite3_stmt _complete;

    public FlowInserter(SqliteConnection connection)
    {
        _connection = connection;
        _insertFlow = Prepare("""
            INSERT INTO flows (uid, session_id, started_at, completed_at, client_address, client_port, transport, http_version,
                upstream_http_version, method, scheme, host, port, path, query, status, request_headers, request_body,
                request_body_size, request_body_truncated, response_headers, response_body, response_body_size,
                response_body_truncated, tls_server_name, tls_alpn, tls_version, error_kind, error_message, decode_limits, max_severity,
                analysis_pending, request_trailers, response_trailers, in_progress, ws_client_messages, ws_client_bytes,
                ws_server_messages, ws_server_bytes, tls_fingerprint)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,
                ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40)
            ON CONFLICT(uid) DO NOTHING
            RETURNING id;
            """);
        _insertFinding = Prepare("""
            INSERT INTO findings (flow_id, rule_id, title, severity, category, value, matched_as, leaf_path, transforms, snippet, rule_set_hash)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11);
            """);
        _insertMessage = Prepare("""
            INSERT INTO websocket_messages (flow_id, idx, direction, at, opcode, size, data, truncated, note)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);
            """);
        _deleteSnapshot = Prepare("DELETE FROM flows WHERE uid = ?1 AND in_progress = 1;");
        _deleteFindings = Prepare("DELETE FROM findings WHERE flow_id = ?1;");
        _deleteFlow = Prepare("DELETE FROM flows WHERE uid = ?1;");
        _markAnalysed = Prepare("UPDATE flows SET max_severity = ?2, analysis_pending = 0 WHERE id = ?1;");
        _complete = Prepare("""
            UPDATE flows SET decode_limits = ?2, max_severity = ?3, analysis_pending = 0,
                request_body = CASE WHEN ?4 THEN request_body END, response_body = CASE WHEN ?4 THEN response_body END,
                request_body_truncated = CASE WHEN ?4 THEN request_body_truncated ELSE request_body_size > 0 OR request_body_truncated END,
                response_body_truncated = CASE WHEN ?4 THEN response_body_truncated ELSE response_body_size > 0 OR response_body_truncated END
            WHERE uid = ?1 AND analysis_pending = 1
            RETURNING id;
            """);
    }

    public SqliteTransaction BeginTransaction() => _connection.BeginTransaction();

    /// <summary>Inserts the flow and its findings; returns the flow's row id, or null when that flow is already stored.</summary>
    public long? Insert(long sessionId, FlowRecord record, string ruleSetHash)
    {
        var flow = record.Flow;
        var s = _insertFlow;
        raw.sqlite3_reset(s);
        Text(s, 1, flow.Id.ToString());
        raw.sqlite3_bind_int64(s, 2, sessionId);
        Text(s, 3, Timestamps.Format(flow.StartedAt));
        Text(s, 4, Timestamps.Format(flow.CompletedAt));
        Text(s, 5, flow.ClientAddress);
        raw.sqlite3_bind_int64(s, 6, flow.ClientPort);
        Text(s, 7, flow.Transport.ToString());
        Text(s, 8, flow.HttpVersion);
        Text(s, 9, flow.UpstreamHttpVersion);
        Text(s, 10, flow.Method);
        Text(s, 11, flow.Scheme);
        Text(s, 12, flow.Host);
        raw.sqlite3_bind_int64(s, 13, flow.Port);
        Text(s, 14, flow.Path);
        Text(s, 15, flow.Query);
        Integer(s, 16, flow.StatusCode);
        Text(s, 17, HeaderJson.Serialize(flow.RequestHeaders));
        Body(s, 18, record.KeepBodies ? flow.RequestBody.Bytes : default);
        raw.sqlite3_bind_int64(s, 19, flow.RequestBody.WireLength);
        raw.sqlite3_bind_int(s, 20, (record.KeepBodies ? flow.RequestBody.Truncated : flow.RequestBody.WireLength > 0 || !flow.RequestBody.Ended) ? 1 : 0);
        Text(s, 21, HeaderJson.Serialize(flow.ResponseHeaders));
        Body(s, 22, record.KeepBodies ? flow.ResponseBody.Bytes : default);
        raw.sqlite3_bind_int64(s, 23, flow.ResponseBody.WireLength);
        raw.sqlite3_bind_int(s, 24, (record.KeepBodies ? flow.ResponseBody.Truncated : flow.ResponseBody.WireLength > 0 || !flow.ResponseBody.Ended) ? 1 : 0);
        Text(s, 25, flow.ClientTls?.ServerName);
        Text(s, 26, flow.ClientTls?.ApplicationProtocol);
        Text(s, 27, flow.ClientTls?.Protocol);
        Text(s, 28, flow.Error?.Kind);
        Text(s, 29, flow.Error?.Message);
        Text(s, 30, record.DecodeLimits.Count == 0 ? null : JsonSerializer.Serialize(record.DecodeLimits, StorageJson.Default.IReadOnlyListString));
        Integer(s, 31, record.Findings.Count == 0 ? null : (int)record.Findings.Max(f => f.Severity));
        raw.sqlite3_bind_int(s, 32, record.AnalysisPending ? 1 : 0);
        Text(s, 33, flow.RequestTrailers.Count == 0 ? null : HeaderJson.Serialize(flow.RequestTrailers));
        Text(s, 34, flow.ResponseTrailers.Count == 0 ? null : HeaderJson.Serialize(flow.ResponseTrailers));
        raw.sqlite3_bind_int(s, 35, flow.InProgress ? 1 : 0);
        Long(s, 36, flow.WebSocketTotals?.ClientMessages);
        Long(s, 37, flow.WebSocketTotals?.ClientBytes);
        Long(s, 38, flow.WebSocketTotals?.ServerMessages);
        Long(s, 39, flow.WebSocketTotals?.ServerBytes);
        Text(s, 40, flow.ClientTls?.Fingerprint);

        var step = raw.sqlite3_step(s);
        if (step == raw.SQLITE_DONE)
        {
            return null; // the uid is already stored
        }

        Check(step, raw.SQLITE_ROW);
        var flowId = raw.sqlite3_column_int64(s, 0);
        raw.sqlite3_reset(s);
        InsertMessages(flowId, flow.WebSocketMessages, record.KeepBodies);
        InsertFindings(flowId, record.Findings, ruleSetHash);
        return flowId;
    }

    /// <summary>
    /// Removes the snapshot of a flow that was still running when it was stored (and, by cascade, its findings and
    /// messages), so that a newer snapshot or the finished flow takes its place. A finished flow is never removed here.
    /// </summary>
    public void DeleteSnapshot(Guid flowId)
    {
        var s = _deleteSnapshot;
        raw.sqlite3_reset(s);
        Text(s, 1, flowId.ToString());
        Check(raw.sqlite3_step(s), raw.SQLITE_DONE);
    }

    private void InsertMessages(long flowId, IReadOnlyList<WebSocketMessage> messages, bool keepBodies)
    {
        var s = _insertMessage;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            raw.sqlite3_reset(s);
            raw.sqlite3_bind_int64(s, 1, flowId);
            raw.sqlite3_bind_int(s, 2, i);
            Text(s, 3, message.Direction == MessageDirection.Client ? "client" : "server");
            Text(s, 4, Timestamps.Format(message.At));
            raw.sqlite3_bind_int(s, 5, message.Opcode);
            raw.sqlite3_bind_int64(s, 6, message.Payload.WireLength);
            Body(s, 7, keepBodies ? message.Payload.Bytes : default);
            raw.sqlite3_bind_int(s, 8, (keepBodies ? message.Payload.Truncated : message.Payload.WireLength > 0) ? 1 : 0);
            Text(s, 9, message.Note);
            Check(raw.sqlite3_step(s), raw.SQLITE_DONE);
        }
    }

    /// <summary>
    /// Completes a flow stored unanalysed with its verdict: the row already holds what was seen, so only the analysis
    /// is written (and the bodies dropped when they are not kept) — no second copy of the bodies. False when no such
    /// row is in this file (it went into a file that has since vanished): then insert the record.
    /// </summary>
    public bool Complete(FlowRecord record, string ruleSetHash)
    {
        var s = _complete;
        raw.sqlite3_reset(s);
        Text(s, 1, record.Flow.Id.ToString());
        Text(s, 2, record.DecodeLimits.Count == 0 ? null : JsonSerializer.Serialize(record.DecodeLimits, StorageJson.Default.IReadOnlyListString));
        Integer(s, 3, record.Findings.Count == 0 ? null : (int)record.Findings.Max(f => f.Severity));
        raw.sqlite3_bind_int(s, 4, record.KeepBodies ? 1 : 0);
        var step = raw.sqlite3_step(s);
        if (step == raw.SQLITE_DONE)
        {
            return false;
        }

        Check(step, raw.SQLITE_ROW);
        var flowId = raw.sqlite3_column_int64(s, 0);
        raw.sqlite3_reset(s);
        InsertFindings(flowId, record.Findings, ruleSetHash);
        return true;
    }

    /// <summary>Removes a stored flow (and, by cascade, its findings); false when it was not there.</summary>
    public bool Delete(Guid flowId)
    {
        var s = _deleteFlow;
        raw.sqlite3_reset(s);
        Text(s, 1, flowId.ToString());
        Check(raw.sqlite3_step(s), raw.SQLITE_DONE);
        return raw.sqlite3_changes(_connection.Handle) > 0;
    }

    /// <summary>Replaces a stored flow's findings (after a rescan with other rules); the flow counts as analysed.</summary>
    public void ReplaceFindings(long flowId, IReadOnlyList<Finding> findings, string ruleSetHash)
    {
        raw.sqlite3_reset(_deleteFindings);
        raw.sqlite3_bind_int64(_deleteFindings, 1, flowId);
        Check(raw.sqlite3_step(_deleteFindings), raw.SQLITE_DONE);
        raw.sqlite3_reset(_markAnalysed);
        raw.sqlite3_bind_int64(_markAnalysed, 1, flowId);
        Integer(_markAnalysed, 2, findings.Count == 0 ? null : (int)findings.Max(f => f.Severity));
        Check(raw.sqlite3_step(_markAnalysed), raw.SQLITE_DONE);
        InsertFindings(flowId, findings, ruleSetHash);
    }

    private void InsertFindings(long flowId, IReadOnlyList<Finding> findings, string ruleSetHash)
    {
        var s = _insertFinding;
        foreach (var finding in findings)
        {
            raw.sqlite3_reset(s);
            raw.sqlite3_bind_int64(s, 1, flowId);
            Text(s, 2, finding.RuleId);
            Text(s, 3, finding.Title);
            raw.sqlite3_bind_int(s, 4, (int)finding.Severity);
            Text(s, 5, finding.Category);
            Text(s, 6, finding.Value);
            Text(s, 7, finding.MatchedAs);
            Text(s, 8, finding.LeafPath);
            Text(s, 9, JsonSerializer.Serialize(finding.Transforms, StorageJson.Default.IReadOnlyListString));
            Text(s, 10, finding.Snippet);
            Text(s, 11, ruleSetHash);
            Check(raw.sqlite3_step(s), raw.SQLITE_DONE);
        }
    }

    private sqlite3_stmt Prepare(string sql)
    {
        var result = raw.sqlite3_prepare_v2(_connection.Handle, sql, out var statement);
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException($"preparing a statement failed: {raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}", result);
        }

        return statement;
    }

    private void Check(int result, int expected)
    {
        if (result != expected)
        {
            throw new SqliteException($"SQLite error {result}: {raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}", result);
        }
    }

    private static void Text(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(statement, index);
        }
        else
        {
            raw.sqlite3_bind_text(statement, index, value);
        }
    }

    private static void Long(sqlite3_stmt statement, int index, long? value)
    {
        if (value is { } number)
        {
            raw.sqlite3_bind_int64(statement, index, number);
        }
        else
        {
            raw.sqlite3_bind_null(statement, index);
        }
    }

    private static void Integer(sqlite3_stmt statement, int index, int? value) => Long(statement, index, value);

    private static void Body(sqlite3_stmt statement, int index, ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            raw.sqlite3_bind_null(statement, index);
        }
        else
        {
            raw.sqlite3_bind_blob(statement, index, body.Span);
        }
    }

    public void Dispose()
    {
        _insertFlow.Dispose();
        _insertFinding.Dispose();
        _insertMessage.Dispose();
        _deleteSnapshot.Dispose();
        _deleteFindings.Dispose();
        _deleteFlow.Dispose();
        _markAnalysed.Dispose();
        _complete.Dispose();
    }
}

/// <summary>Headers are stored as a JSON array of [name, value] pairs: order and repeats survive.</summary>
public static class HeaderJson
{
    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? _buffer;

    public static string Serialize(IReadOnlyList<HeaderField> headers)
    {
        // Written by hand into a per-thread buffer: the writer serialises two header lists per flow, thousands a second.
        var buffer = _buffer ??= new System.Buffers.ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var header in headers)
            {
                json.WriteStartArray();
                json.WriteStringValue(header.Name);
                json.WriteStringValue(header.Value);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static IReadOnlyList<HeaderField> Deserialize(string json) =>
        JsonSerializer.Deserialize(json, StorageJson.Default.StringArrayArray)!.Select(pair => new HeaderField(pair[0], pair[1])).ToArray();
}
