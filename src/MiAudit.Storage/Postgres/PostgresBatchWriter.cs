using MiAudit.Detection.Findings;
using MiAudit.Storage.Writing;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>Offline writes (HAR import, rescans) in transactions of a few hundred rows; rescans go in one round trip per transaction.</summary>
internal sealed class PostgresBatchWriter(NpgsqlConnection connection, string ruleSetHash) : IBatchWriter
{
    private const int RowsPerTransaction = 500;

    private NpgsqlTransaction? _transaction;
    private NpgsqlBatch? _pending;
    private int _rows;

    public long Insert(long sessionId, FlowRecord record)
    {
        Flush();
        using var batch = new NpgsqlBatch(connection, Begin());
        PostgresWrites.Insert(batch, sessionId, [record], ruleSetHash);
        var id = batch.ExecuteScalar() as long? ?? throw new StorageException($"flow {record.Flow.Id} is already stored");
        Count();
        return id;
    }

    public void ReplaceFindings(long flowRowId, IReadOnlyList<Finding> findings)
    {
        _pending ??= new NpgsqlBatch(connection, Begin());
        PostgresWrites.ReplaceFindings(_pending, flowRowId, findings, ruleSetHash);
        Count();
    }

    public void Commit()
    {
        Flush();
        _transaction?.Commit();
        _transaction?.Dispose();
        _transaction = null;
        _rows = 0;
    }

    private void Flush()
    {
        if (_pending is { } pending)
        {
            _pending = null;
            using (pending)
            {
                pending.ExecuteNonQuery();
            }
        }
    }

    private NpgsqlTransaction Begin() => _transaction ??= connection.BeginTransaction();

    private void Count()
    {
        if (++_rows >= RowsPerTransaction)
        {
            Commit();
        }
    }

    public void Dispose()
    {
        Commit();
        connection.Dispose();
    }
}
