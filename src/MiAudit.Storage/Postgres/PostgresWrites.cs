using System.Runtime.InteropServices;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Writing;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>
/// The statements that store flows in PostgreSQL, added to an <see cref="NpgsqlBatch"/> so that a writer batch is one
/// round trip. Many flows with their findings and WebSocket messages are one statement: each column travels as an
/// array, the flows are inserted from <c>unnest</c>, and the children join the flows that were inserted by uid — so a
/// flow already stored adds nothing, as in SQLite, and the server plans one statement per batch instead of one per row.
/// </summary>
internal static class PostgresWrites
{
    private const string FindingColumns = "rule_id, title, severity, category, value, matched_as, leaf_path, transforms, snippet";
    private const string MessageColumns = "idx, direction, at, opcode, size, data, truncated, note";

    // The PostgreSQL type of each of FlowColumns' values, in order.
    private static readonly string[] FlowTypes =
    [
        "text", "bigint", "timestamptz", "timestamptz", "text", "int", "text", "text",
        "text", "text", "text", "text", "int", "text", "text", "int", "text", "bytea",
        "bigint", "int", "text", "bytea", "bigint",
        "int", "text", "text", "text", "text", "text", "text", "int",
        "int", "text", "text", "int", "bigint", "bigint",
        "bigint", "bigint", "text",
    ];

    private static readonly string InsertSql = BuildSql();

    /// <summary>
    /// Adds the insert of the records (no uid twice); its rows are the ids of the flows inserted (none for a uid
    /// already stored), in the records' order.
    /// </summary>
    public static void Insert(NpgsqlBatch batch, long sessionId, IReadOnlyList<FlowRecord> records, string ruleSetHash)
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        var values = new object?[records.Count][];
        for (var r = 0; r < records.Count; r++)
        {
            var row = new RowSink(new object?[FlowColumns.Count]);
            FlowColumns.Write(ref row, sessionId, records[r]);
            values[r] = row.Values;
        }

        for (var c = 0; c < FlowColumns.Count; c++)
        {
            command.Parameters.Add(Column(FlowTypes[c], values, c));
        }

        var findings = records.SelectMany(r => r.Findings.Select(f => (Uid: r.Flow.Id.ToString(), Finding: f))).ToList();
        Add(command, findings.Select(f => f.Uid).ToArray());
        AddFindings(command, findings.Select(f => f.Finding).ToList(), ruleSetHash);

        var messages = records.SelectMany(r => r.Flow.WebSocketMessages.Select((m, i) => (Uid: r.Flow.Id.ToString(), Index: i, Message: m, Keep: r.KeepBodies))).ToList();
        Add(command, messages.Select(m => m.Uid).ToArray());
        Add(command, messages.Select(m => m.Index).ToArray());
        Add(command, messages.Select(m => m.Message.Direction == MessageDirection.Client ? "client" : "server").ToArray());
        Add(command, messages.Select(m => m.Message.At.UtcDateTime).ToArray());
        Add(command, messages.Select(m => m.Message.Opcode).ToArray());
        Add(command, messages.Select(m => m.Message.Payload.WireLength).ToArray());
        Add(command, messages.Select(m => m.Keep && !m.Message.Payload.Bytes.IsEmpty ? Bytes(m.Message.Payload.Bytes) : null).ToArray());
        Add(command, messages.Select(m => (m.Keep ? m.Message.Payload.Truncated : m.Message.Payload.WireLength > 0) ? 1 : 0).ToArray());
        Add(command, messages.Select(m => PostgresText.Clean(m.Message.Note)).ToArray());
        batch.BatchCommands.Add(command);
    }

    /// <summary>Adds the removal of stored flows (their findings and messages go by cascade) that match <paramref name="condition"/>.</summary>
    public static void Delete(NpgsqlBatch batch, IReadOnlyCollection<Guid> flowIds, string condition = "TRUE")
    {
        var command = new NpgsqlBatchCommand($"DELETE FROM flows WHERE uid = ANY($1) AND {condition};");
        Add(command, flowIds.Select(id => id.ToString()).ToArray());
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
            INSERT INTO findings (flow_id, {FindingColumns}, rule_set_hash)
            SELECT $1, u.*, $11 FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS u;
            """);
        insert.Parameters.Add(Parameter(flowId));
        AddFindings(insert, findings, ruleSetHash);
        batch.BatchCommands.Add(insert);
    }

    /// <summary>The findings as nine column arrays (the order of <see cref="FindingColumns"/>), then the rule set hash.</summary>
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

    private static string BuildSql()
    {
        var n = FlowColumns.Count;
        var flows = string.Join(", ", FlowTypes.Select((type, i) => $"${i + 1}::{type}[]"));
        return $"""
            WITH f AS (
                INSERT INTO flows ({FlowColumns.Names}) SELECT * FROM unnest({flows})
                ON CONFLICT (uid) DO NOTHING RETURNING id, uid),
            x AS (
                INSERT INTO findings (flow_id, {FindingColumns}, rule_set_hash)
                SELECT f.id, {Prefixed(FindingColumns)}, ${n + 11} FROM unnest(${n + 1}::text[], ${n + 2}::text[], ${n + 3}::text[], ${n + 4}::int[],
                    ${n + 5}::text[], ${n + 6}::text[], ${n + 7}::text[], ${n + 8}::text[], ${n + 9}::text[], ${n + 10}::text[])
                    WITH ORDINALITY AS u(uid, {FindingColumns}, position) JOIN f ON f.uid = u.uid ORDER BY u.position),
            w AS (
                INSERT INTO websocket_messages (flow_id, {MessageColumns})
                SELECT f.id, {Prefixed(MessageColumns)} FROM unnest(${n + 12}::text[], ${n + 13}::int[], ${n + 14}::text[], ${n + 15}::timestamptz[],
                    ${n + 16}::int[], ${n + 17}::bigint[], ${n + 18}::bytea[], ${n + 19}::int[], ${n + 20}::text[])
                    AS u(uid, {MessageColumns}) JOIN f ON f.uid = u.uid)
            SELECT id FROM f;
            """;
    }

    private static string Prefixed(string columns) => string.Join(", ", columns.Split(", ").Select(c => "u." + c));

    /// <summary>Column <paramref name="column"/> of every row, as the array of its PostgreSQL type.</summary>
    private static NpgsqlParameter Column(string type, object?[][] rows, int column) => new()
    {
        Value = type switch
        {
            "text" => rows.Select(r => PostgresText.Clean((string?)r[column])).ToArray(),
            "bigint" => rows.Select(r => r[column] is { } v ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : (long?)null).ToArray(),
            "int" => rows.Select(r => r[column] is { } v ? Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) : (int?)null).ToArray(),
            "timestamptz" => rows.Select(r => ((DateTimeOffset)r[column]!).UtcDateTime).ToArray(),
            "bytea" => rows.Select(r => r[column] is ReadOnlyMemory<byte> bytes ? Bytes(bytes) : null).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        },
    };

    /// <summary>One row of <see cref="FlowColumns"/>' values, as the column arrays are built from them.</summary>
    private readonly struct RowSink(object?[] values) : IFlowColumnSink
    {
        public object?[] Values { get; } = values;

        public void Text(int column, string? value) => Values[column] = value;

        public void Integer(int column, long? value) => Values[column] = value;

        public void Time(int column, DateTimeOffset value) => Values[column] = value;

        public void Bytes(int column, ReadOnlyMemory<byte> value) => Values[column] = value.IsEmpty ? null : value;
    }

    /// <summary>A positional parameter for a scalar (a spill file's column value, an id, a hash).</summary>
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
