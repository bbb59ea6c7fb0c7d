using Microsoft.Data.Sqlite;

namespace MiAudit.Storage.Writing;

/// <summary>
/// One SQLite file the writer commits batches into: the evidence database itself, or a spill file beside it while the
/// database refuses writes. Opening it makes sure the session row is there, so a database recreated after being
/// deleted, or a fresh spill file, holds flows that still belong to their session.
/// </summary>
internal sealed class EvidenceFile : IEvidenceTarget
{
    // Long enough for a reader's checkpoint, short enough that a lock held by another program sends flows to the spill
    // file before the proxy has to wait for them.
    private const int BusyTimeoutMilliseconds = 250;

    private readonly SqliteConnection _connection;
    private readonly FlowInserter _inserter;
    private readonly bool _recordsDiscards;
    private readonly FileStream? _claim;

    private EvidenceFile(string path, SqliteConnection connection, bool recordsDiscards, FileStream? claim)
    {
        Path = path;
        _connection = connection;
        _recordsDiscards = recordsDiscards;
        _claim = claim;
        _inserter = new FlowInserter(connection);
    }

    public string Path { get; }

    /// <param name="recordsDiscards">
    /// A spill file remembers flows it was told to remove, so that rows the database still holds are removed there too
    /// when the spill file is written back.
    /// </param>
    /// <exception cref="StorageException">The file cannot be opened or belongs to another session.</exception>
    public static EvidenceFile Open(string path, SessionRow session, bool recordsDiscards = false)
    {
        // A spill file is claimed before it exists, so that no other run can take it for one left behind.
        var claim = recordsDiscards ? SpillFile.TryClaim(path) ?? throw new StorageException($"{path} is in use by another MiAudit") : null;
        SqliteConnection connection;
        try
        {
            connection = AuditDatabase.Open(path);
        }
        catch
        {
            claim?.Dispose();
            throw;
        }

        try
        {
            AuditDatabase.Execute(connection, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};");
            new SessionStore(connection).Ensure(session);
            if (recordsDiscards)
            {
                AuditDatabase.Execute(connection, SpillFile.DiscardedTable);
            }

            return new EvidenceFile(path, connection, recordsDiscards, claim);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            claim?.Dispose();
            throw new StorageException($"cannot write to {path}: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            claim?.Dispose();
            throw;
        }
    }

    public SqliteConnection Connection => _connection;

    /// <summary>Commits the batch in one transaction, or throws and leaves the file as it was.</summary>
    /// <exception cref="SqliteException">The database refused the write (lock, full disk, I/O error).</exception>
    public void Apply(WriteBatch batch, long sessionId, string ruleSetHash)
    {
        // Transactions by raw calls: Microsoft.Data.Sqlite retries a busy BEGIN for its command timeout (seconds), and
        // a writer that waits that long makes the proxy wait too. The busy timeout above bounds the wait instead.
        Exec("BEGIN IMMEDIATE;");
        try
        {
            foreach (var operation in batch.Operations)
            {
                Apply(operation, sessionId, ruleSetHash);
            }

            Exec("COMMIT;");
        }
        catch
        {
            SQLitePCL.raw.sqlite3_exec(_connection.Handle!, "ROLLBACK;");
            throw;
        }
    }

    private void Apply(WriteOperation operation, long sessionId, string ruleSetHash)
    {
        switch (operation.Kind)
        {
            case WriteKind.Insert:
                _inserter.Insert(sessionId, operation.Record!, ruleSetHash);
                break;
            case WriteKind.Supersede when !_inserter.Complete(operation.Record!, ruleSetHash):
                _inserter.Insert(sessionId, operation.Record!, ruleSetHash);
                break;
            case WriteKind.Replace:
                _inserter.DeleteSnapshot(operation.FlowId);
                _inserter.Insert(sessionId, operation.Record!, ruleSetHash);
                break;
            case WriteKind.Revise:
                // In a spill file the row may be in the database instead: write-back replaces it there by uid.
                _inserter.Delete(operation.FlowId);
                _inserter.Insert(sessionId, operation.Record!, ruleSetHash);
                break;
            case WriteKind.Delete:
                _inserter.Delete(operation.FlowId);
                if (_recordsDiscards)
                {
                    RecordDiscard(operation.FlowId);
                }

                break;
        }
    }

    private void Exec(string sql)
    {
        var handle = _connection.Handle!;
        var result = SQLitePCL.raw.sqlite3_exec(handle, sql);
        if (result != SQLitePCL.raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite Error {result}: '{SQLitePCL.raw.sqlite3_errmsg(handle).utf8_to_string()}'", result);
        }
    }

    /// <summary>True when the file at <see cref="Path"/> is no longer the one this connection writes to.</summary>
    public bool HasMoved() => DatabaseFileCheck.HasMoved(_connection, Path);

    /// <summary>Whether a write transaction can start now (no other program holds the write lock, the disk takes it).</summary>
    public bool AcceptsWrites()
    {
        // Raw calls: Microsoft.Data.Sqlite retries a busy statement on its own, for far longer than this probe may take.
        var handle = _connection.Handle!;
        if (SQLitePCL.raw.sqlite3_exec(handle, "BEGIN IMMEDIATE;") != SQLitePCL.raw.SQLITE_OK)
        {
            return false;
        }

        SQLitePCL.raw.sqlite3_exec(handle, "ROLLBACK;");
        return true;
    }

    public long WriteBack(string spillPath) => SpillFile.WriteBack(_connection, spillPath);

    /// <summary>The file's size in bytes, as SQLite counts its pages.</summary>
    public long Size()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size();";
        return (long)command.ExecuteScalar()!;
    }

    private void RecordDiscard(Guid flowId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO discarded_flows (uid) VALUES ($uid);";
        command.Parameters.AddWithValue("$uid", flowId.ToString());
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _inserter.Dispose();
        _connection.Dispose();
        _claim?.Dispose();
    }
}
