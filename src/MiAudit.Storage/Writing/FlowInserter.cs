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
        _insertFlow = Prepare($"""
            INSERT INTO flows ({FlowColumns.Names})
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
        var binder = new StatementBinder(s);
        FlowColumns.Write(ref binder, sessionId, record);
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
        Text(s, 2, FlowColumns.DecodeLimits(record));
        Integer(s, 3, FlowColumns.MaxSeverity(record.Findings));
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
        Integer(_markAnalysed, 2, FlowColumns.MaxSeverity(findings));
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
            Text(s, 9, FlowColumns.Transforms(finding));
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

    /// <summary>Binds <see cref="FlowColumns"/>' values by position (column 0 is parameter ?1).</summary>
    private readonly struct StatementBinder(sqlite3_stmt statement) : IFlowColumnSink
    {
        public void Text(int column, string? value) => FlowInserter.Text(statement, column + 1, value);

        public void Integer(int column, long? value) => Long(statement, column + 1, value);

        public void Time(int column, DateTimeOffset value) => raw.sqlite3_bind_text(statement, column + 1, Timestamps.Format(value));

        public void Bytes(int column, ReadOnlyMemory<byte> value) => Body(statement, column + 1, value);
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
            Write(json, headers);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The headers as the stored array of <c>[name, value]</c> pairs (the web UI sends them the same way).</summary>
    public static void Write(Utf8JsonWriter json, IReadOnlyList<HeaderField> headers)
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

    public static IReadOnlyList<HeaderField> Deserialize(string json) =>
        JsonSerializer.Deserialize(json, StorageJson.Default.StringArrayArray)!.Select(pair => new HeaderField(pair[0], pair[1])).ToArray();
}
