using Microsoft.Data.Sqlite;
using MiAudit.Storage.Sqlite;
using MiAudit.Storage.Writing;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>
/// Writes an SQLite spill file back into PostgreSQL in one transaction, as <see cref="SpillFile.WriteBack"/> does between
/// two SQLite files: flows stored meanwhile (unanalysed) are replaced by their spilled rows, and flows the spill file
/// was told to remove are removed. Rows are copied column by column; children follow their flow by uid.
/// </summary>
internal static class PostgresSpillCopy
{
    private const string SessionColumns = "id, label, started_at, ended_at, miaudit_version, rule_set_hash, device_profile, settings";
    private const string FindingValues = "rule_id, title, severity, category, value, matched_as, leaf_path, transforms, snippet, rule_set_hash";
    private const string MessageValues = "idx, direction, at, opcode, size, data, truncated, note";

    // In INSERT … SELECT a NULL parameter has no column to take its type from: the casts above give it one.
    // Stored as text in SQLite, as timestamptz here.
    private static readonly HashSet<string> TimeColumns = ["started_at", "ended_at", "completed_at", "at"];

    /// <summary>Returns how many flows moved.</summary>
    public static long Copy(NpgsqlConnection target, string spillPath)
    {
        using var spill = AuditDatabase.Open(spillPath, readOnly: true);
        using var transaction = target.BeginTransaction();
        Rows(spill, $"SELECT {SessionColumns} FROM sessions ORDER BY id;", target, transaction,
            $"INSERT INTO sessions ({SessionColumns}) VALUES ({Placeholders(8)}) ON CONFLICT (id) DO NOTHING;");
        if (HasTable(spill, "discarded_flows"))
        {
            Rows(spill, "SELECT uid FROM discarded_flows;", target, transaction, "DELETE FROM flows WHERE uid = $1;");
        }

        Rows(spill, "SELECT uid FROM flows;", target, transaction, "DELETE FROM flows WHERE uid = $1;");
        var moved = Rows(spill, $"SELECT {FlowColumns.Names} FROM flows ORDER BY id;", target, transaction,
            $"INSERT INTO flows ({FlowColumns.Names}) VALUES ({Placeholders(FlowColumns.Count)});");
        Rows(spill, $"SELECT s.uid, {Prefixed("x", FindingValues)} FROM findings x JOIN flows s ON s.id = x.flow_id ORDER BY x.id;", target, transaction,
            $"INSERT INTO findings (flow_id, {FindingValues}) SELECT id, $2::text, $3::text, $4::int, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text FROM flows WHERE uid = $1;");
        Rows(spill, $"SELECT s.uid, {Prefixed("w", MessageValues)} FROM websocket_messages w JOIN flows s ON s.id = w.flow_id ORDER BY w.id;", target, transaction,
            $"INSERT INTO websocket_messages (flow_id, {MessageValues}) SELECT id, $2::int, $3::text, $4::timestamptz, $5::int, $6::bigint, $7::bytea, $8::int, $9::text FROM flows WHERE uid = $1;");
        transaction.Commit();
        return moved;
    }

    /// <summary>Runs <paramref name="insert"/> once per row of <paramref name="select"/>, the row's values as its parameters.</summary>
    private static long Rows(SqliteConnection spill, string select, NpgsqlConnection target, NpgsqlTransaction transaction, string insert)
    {
        using var read = spill.CreateCommand();
        read.CommandText = select;
        using var reader = read.ExecuteReader();
        using var write = new NpgsqlCommand(insert, target, transaction);
        long rows = 0;
        while (reader.Read())
        {
            write.Parameters.Clear();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                write.Parameters.Add(PostgresWrites.Parameter(value is string text && TimeColumns.Contains(reader.GetName(i)) ? Timestamps.Parse(text) : value));
            }

            write.ExecuteNonQuery();
            rows++;
        }

        return rows;
    }

    private static string Placeholders(int count) => string.Join(", ", Enumerable.Range(1, count).Select(i => $"${i}"));

    private static string Prefixed(string alias, string columns) => string.Join(", ", columns.Split(", ").Select(c => $"{alias}.{c}"));

    private static bool HasTable(SqliteConnection spill, string table)
    {
        using var command = spill.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name;";
        command.Parameters.AddWithValue("$name", table);
        return (long)command.ExecuteScalar()! > 0;
    }
}
