using System.Runtime.InteropServices;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Writing;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>
/// The statements that store flows in PostgreSQL, added to an <see cref="NpgsqlBatch"/> so that a writer batch is one
/// round trip. A flow with its findings and WebSocket messages is one statement (the children are inserted from
/// arrays, in CTEs keyed on the flow's new id), so a flow already stored adds nothing, as in SQLite.
/// </summary>
internal static class PostgresWrites
{
    private const string FindingColumns = "flow_id, rule_id, title, severity, category, value, matched_as, leaf_path, transforms, snippet, rule_set_hash";
    private const string MessageColumns = "flow_id, idx, direction, at, opcode, size, data, truncated, note";

    private static readonly string FlowValues = string.Join(", ", Enumerable.Range(1, FlowColumns.Count).Select(i => $"${i}"));

    // Four shapes (with or without findings, with or without messages), built once.
    private static readonly string[] InsertSql = [Sql(false, false), Sql(true, false), Sql(false, true), Sql(true, true)];

    /// <summary>Adds the insert of a record (flow, findings, messages); it returns the new row id, or no row if the uid is stored.</summary>
    public static void Insert(NpgsqlBatch batch, long sessionId, FlowRecord record, string ruleSetHash)
    {
        var flow = record.Flow;
        var findings = record.Findings;
        var messages = flow.WebSocketMessages;
        var command = new NpgsqlBatchCommand(InsertSql[(findings.Count > 0 ? 1 : 0) + (messages.Count > 0 ? 2 : 0)]);
        var values = new object?[FlowColumns.Count];
        FlowColumns.Fill(values, sessionId, record);
        foreach (var value in values)
        {
            command.Parameters.Add(Parameter(value));
        }

        if (findings.Count > 0)
        {
            AddFindings(command, findings, ruleSetHash);
        }

        if (messages.Count > 0)
        {
            var keep = record.KeepBodies;
            Add(command, Enumerable.Range(0, messages.Count).ToArray());
            Add(command, messages.Select(m => m.Direction == MessageDirection.Client ? "client" : "server").ToArray());
            Add(command, messages.Select(m => m.At.UtcDateTime).ToArray());
            Add(command, messages.Select(m => m.Opcode).ToArray());
            Add(command, messages.Select(m => m.Payload.WireLength).ToArray());
            Add(command, messages.Select(m => keep && !m.Payload.Bytes.IsEmpty ? Bytes(m.Payload.Bytes) : null).ToArray());
            Add(command, messages.Select(m => (keep ? m.Payload.Truncated : m.Payload.WireLength > 0) ? 1 : 0).ToArray());
            Add(command, messages.Select(m => PostgresText.Clean(m.Note)).ToArray());
        }

        batch.BatchCommands.Add(command);
    }

    /// <summary>Adds the removal of a stored flow (its findings and messages go by cascade), when it matches <paramref name="condition"/>.</summary>
    public static void Delete(NpgsqlBatch batch, Guid flowId, string condition = "TRUE")
    {
        var command = new NpgsqlBatchCommand($"DELETE FROM flows WHERE uid = $1 AND {condition};");
        command.Parameters.Add(Parameter(flowId.ToString()));
        batch.BatchCommands.Add(command);
    }

    /// <summary>Adds the replacement of a stored flow's findings (a rescan); the flow then counts as analysed.</summary>
    public static void ReplaceFindings(NpgsqlBatch batch, long flowId, IReadOnlyList<Finding> findings, string ruleSetHash)
    {
        var delete = new NpgsqlBatchCommand("DELETE FROM findings WHERE flow_id = $1;");
        delete.Parameters.Add(Parameter(flowId));
        var mark = new NpgsqlBatchCommand("UPDATE flows SET max_severity = $2, analysis_pending = 0 WHERE id = $1;");
        mark.Parameters.Add(Parameter(flowId));
        mark.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = (object?)FlowColumns.MaxSeverity(findings) ?? DBNull.Value });
        batch.BatchCommands.Add(delete);
        batch.BatchCommands.Add(mark);
        if (findings.Count == 0)
        {
            return;
        }

        var insert = new NpgsqlBatchCommand($"""
            INSERT INTO findings ({FindingColumns})
            SELECT $1, u.*, $11 FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS u;
            """);
        insert.Parameters.Add(Parameter(flowId));
        AddFindings(insert, findings, ruleSetHash);
        batch.BatchCommands.Add(insert);
    }

    /// <summary>The findings as nine column arrays (the order of <see cref="FindingColumns"/> after flow_id), then the rule set hash.</summary>
    private static void AddFindings(NpgsqlBatchCommand command, IReadOnlyList<Finding> findings, string ruleSetHash)
    {
        Add(command, findings.Select(f => PostgresText.Clean(f.RuleId)!).ToArray());
        Add(command, findings.Select(f => PostgresText.Clean(f.Title)!).ToArray());
        Add(command, findings.Select(f => (int)f.Severity).ToArray());
        Add(command, findings.Select(f => PostgresText.Clean(f.Category)!).ToArray());
        Add(command, findings.Select(f => PostgresText.Clean(f.Value)!).ToArray());
        Add(command, findings.Select(f => PostgresText.Clean(f.MatchedAs)!).ToArray());
        Add(command, findings.Select(f => PostgresText.Clean(f.LeafPath)!).ToArray());
        Add(command, findings.Select(f => PostgresText.Clean(FlowColumns.Transforms(f))!).ToArray());
        Add(command, findings.Select(f => PostgresText.Clean(f.Snippet)!).ToArray());
        command.Parameters.Add(Parameter(ruleSetHash));
    }

    private static string Sql(bool findings, bool messages)
    {
        var n = FlowColumns.Count;
        var parts = new List<string> { $"f AS (INSERT INTO flows ({FlowColumns.Names}) VALUES ({FlowValues}) ON CONFLICT (uid) DO NOTHING RETURNING id)" };
        if (findings)
        {
            parts.Add($"""
                x AS (INSERT INTO findings ({FindingColumns})
                SELECT f.id, u.*, ${n + 10} FROM f CROSS JOIN unnest(${n + 1}::text[], ${n + 2}::text[], ${n + 3}::int[], ${n + 4}::text[],
                    ${n + 5}::text[], ${n + 6}::text[], ${n + 7}::text[], ${n + 8}::text[], ${n + 9}::text[]) AS u)
                """);
            n += 10;
        }

        if (messages)
        {
            parts.Add($"""
                w AS (INSERT INTO websocket_messages ({MessageColumns})
                SELECT f.id, u.* FROM f CROSS JOIN unnest(${n + 1}::int[], ${n + 2}::text[], ${n + 3}::timestamptz[], ${n + 4}::int[],
                    ${n + 5}::bigint[], ${n + 6}::bytea[], ${n + 7}::int[], ${n + 8}::text[]) AS u)
                """);
        }

        return $"WITH {string.Join(",\n", parts)}\nSELECT id FROM f;";
    }

    /// <summary>A positional parameter for one of <see cref="FlowColumns"/>' values (or another scalar).</summary>
    public static NpgsqlParameter Parameter(object? value) => new()
    {
        Value = value switch
        {
            null => DBNull.Value,
            string text => PostgresText.Clean(text),
            DateTimeOffset time => time.UtcDateTime,
            ReadOnlyMemory<byte> bytes => Bytes(bytes),
            _ => value,
        },
    };

    private static void Add<T>(NpgsqlBatchCommand command, T[] values) => command.Parameters.Add(new NpgsqlParameter { Value = values });

    private static byte[] Bytes(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : bytes.ToArray();
}
