using Microsoft.Data.Sqlite;
using MiAudit.Detection.Findings;

namespace MiAudit.Storage.Writing;

/// <summary>
/// Synchronous writes for offline work (HAR import, rescans): committed every few hundred rows, so a large import
/// is fast and an interrupted one keeps what it finished.
/// </summary>
public sealed class BatchWriter : IBatchWriter
{
    private const int RowsPerTransaction = 500;

    private readonly FlowInserter _inserter;
    private readonly SqliteConnection? _ownedConnection;
    private readonly string _ruleSetHash;
    private SqliteTransaction? _transaction;
    private int _rows;

    /// <param name="ownsConnection">Close the connection with the writer (one opened for it alone).</param>
    public BatchWriter(SqliteConnection connection, string ruleSetHash, bool ownsConnection = false)
    {
        _inserter = new FlowInserter(connection);
        _ruleSetHash = ruleSetHash;
        _ownedConnection = ownsConnection ? connection : null;
    }

    public long Insert(long sessionId, FlowRecord record)
    {
        Begin();
        var id = _inserter.Insert(sessionId, record, _ruleSetHash) ?? throw new StorageException($"flow {record.Flow.Id} is already stored");
        Count();
        return id;
    }

    public void ReplaceFindings(long flowRowId, IReadOnlyList<Finding> findings)
    {
        Begin();
        _inserter.ReplaceFindings(flowRowId, findings, _ruleSetHash);
        Count();
    }

    public void Commit()
    {
        _transaction?.Commit();
        _transaction?.Dispose();
        _transaction = null;
        _rows = 0;
    }

    public void Dispose()
    {
        Commit();
        _inserter.Dispose();
        _ownedConnection?.Dispose();
    }

    private void Begin() => _transaction ??= _inserter.BeginTransaction();

    private void Count()
    {
        if (++_rows >= RowsPerTransaction)
        {
            Commit();
        }
    }
}
