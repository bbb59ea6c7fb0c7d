using System.Globalization;
using Microsoft.Data.Sqlite;

namespace MiAudit.Storage.Writing;

/// <summary>
/// Where flows go while the evidence database refuses writes (a lock held by another program, a full disk, a file
/// that vanished): a MiAudit database of its own beside it (or in the working or temporary directory), named
/// <c>&lt;db&gt;.spill-&lt;session&gt;-&lt;time&gt;.db</c>. It is written back into the database as soon as that accepts writes
/// again, and at the next start if the process ended first; until then it can be read like any MiAudit database.
/// </summary>
internal static class SpillFile
{
    internal const string DiscardedTable = "CREATE TABLE IF NOT EXISTS discarded_flows (uid TEXT PRIMARY KEY);";

    /// <summary>The directories to try, in order: beside the database, then the working directory, then the temporary one.</summary>
    public static IEnumerable<string> Candidates(string databasePath, long sessionId)
    {
        var name = $"{Path.GetFileName(databasePath)}.spill-{sessionId}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture)}.db";
        string?[] directories = [Path.GetDirectoryName(databasePath), Environment.CurrentDirectory, Path.GetTempPath()];
        return directories.OfType<string>().Distinct().Select(directory => Path.Combine(directory, name));
    }

    /// <summary>Spill files a run for this database left behind (it was stopped before it could write them back).</summary>
    public static IEnumerable<string> LeftBehind(string databasePath)
    {
        var pattern = $"{Path.GetFileName(databasePath)}.spill-*.db";
        string?[] directories = [Path.GetDirectoryName(databasePath), Environment.CurrentDirectory, Path.GetTempPath()];
        return directories.OfType<string>().Distinct().Where(Directory.Exists)
            .SelectMany(directory => Directory.EnumerateFiles(directory, pattern))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>
    /// Moves every flow of the spill file into <paramref name="database"/> in one transaction: a flow stored there
    /// unanalysed is replaced by its spilled version, and flows the spill file was told to remove are removed.
    /// Returns how many flows moved.
    /// </summary>
    /// <exception cref="SqliteException">The database refused; nothing moved.</exception>
    public static long WriteBack(SqliteConnection database, string spillPath)
    {
        AuditDatabase.Execute(database, $"ATTACH DATABASE '{spillPath.Replace("'", "''")}' AS spill;");
        try
        {
            var columns = string.Join(", ", FlowColumns(database).Select(c => $"\"{c}\""));
            var hasDiscards = TableExists(database, "spill", "discarded_flows");
            using var transaction = database.BeginTransaction();
            Execute(database, transaction, "INSERT OR IGNORE INTO main.sessions SELECT * FROM spill.sessions;");
            if (hasDiscards)
            {
                Execute(database, transaction, "DELETE FROM main.flows WHERE uid IN (SELECT uid FROM spill.discarded_flows);");
            }

            Execute(database, transaction, "DELETE FROM main.flows WHERE uid IN (SELECT uid FROM spill.flows);");
            var moved = Execute(database, transaction, $"INSERT INTO main.flows ({columns}) SELECT {columns} FROM spill.flows ORDER BY id;");
            Execute(database, transaction, """
                INSERT INTO main.findings (flow_id, rule_id, title, severity, category, value, matched_as, leaf_path, transforms, snippet, rule_set_hash)
                SELECT m.id, f.rule_id, f.title, f.severity, f.category, f.value, f.matched_as, f.leaf_path, f.transforms, f.snippet, f.rule_set_hash
                FROM spill.findings f JOIN spill.flows s ON s.id = f.flow_id JOIN main.flows m ON m.uid = s.uid ORDER BY f.id;
                """);
            Execute(database, transaction, """
                INSERT INTO main.websocket_messages (flow_id, idx, direction, at, opcode, size, data, truncated, note)
                SELECT m.id, w.idx, w.direction, w.at, w.opcode, w.size, w.data, w.truncated, w.note
                FROM spill.websocket_messages w JOIN spill.flows s ON s.id = w.flow_id JOIN main.flows m ON m.uid = s.uid ORDER BY w.id;
                """);
            transaction.Commit();
            return moved;
        }
        finally
        {
            AuditDatabase.Execute(database, "DETACH DATABASE spill;");
        }
    }

    /// <summary>
    /// Claims a spill file for this process: an exclusive lock on <c>&lt;file&gt;.lock</c>, held while the file is
    /// written or written back. Another MiAudit on the same database (a lab runs several in one directory) thus never
    /// takes a spill file that is still in use; a process that died holds no lock. Null when another process holds it.
    /// </summary>
    public static FileStream? TryClaim(string spillPath)
    {
        try
        {
            // FileShare.None is an flock(LOCK_EX | LOCK_NB) on Unix: refused while another process has it open.
            return new FileStream(spillPath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Removes a spill file, SQLite's companions of it and its lock file.</summary>
    public static void Delete(string spillPath)
    {
        foreach (var file in new[] { spillPath, spillPath + "-wal", spillPath + "-shm", spillPath + ".lock" })
        {
            File.Delete(file);
        }
    }

    private static IReadOnlyList<string> FlowColumns(SqliteConnection database)
    {
        using var command = database.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info('flows', 'main') WHERE name <> 'id' ORDER BY cid;";
        using var reader = command.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static bool TableExists(SqliteConnection database, string schema, string table)
    {
        using var command = database.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {schema}.sqlite_master WHERE type = 'table' AND name = $name;";
        command.Parameters.AddWithValue("$name", table);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static int Execute(SqliteConnection database, SqliteTransaction transaction, string sql)
    {
        using var command = database.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }
}
