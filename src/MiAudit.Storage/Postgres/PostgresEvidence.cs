using MiAudit.Storage.Writing;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>
/// The live writer's way into PostgreSQL. Spill files (SQLite, local) are named after the server and database and
/// go in the working directory (else the temporary one): a lost server never makes the proxy wait.
/// </summary>
internal sealed class PostgresEvidence(StoreAddress location) : IEvidenceBackend
{
    public string Display => location.Display;

    public string SpillBase { get; } = Path.Combine(Environment.CurrentDirectory,
        "miaudit-" + string.Concat(location.Display.Replace("postgresql://", "", StringComparison.Ordinal).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_')));

    public SessionRow Session(long sessionId)
    {
        using var source = PostgresStore.DataSource(location);
        using var connection = PostgresStore.Connect(source, location);
        return new SessionStore(connection, PostgresDialect.Instance).Row(sessionId);
    }

    public IEvidenceTarget Open(SessionRow session)
    {
        var target = new PostgresTarget(location);
        try
        {
            target.Ensure(session);
            return target;
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }
}

/// <summary>
/// One connection the writer commits batches on. A connection lost mid-batch (server restarted, network gone) is
/// reopened and the batch tried once more; then the error goes to the writer, which spills.
/// </summary>
internal sealed class PostgresTarget(StoreAddress location) : IEvidenceTarget
{
    private readonly NpgsqlDataSource _source = PostgresStore.DataSource(location);
    private NpgsqlConnection? _connection;

    public void Ensure(SessionRow session) => new SessionStore(Connection(), PostgresDialect.Instance).Ensure(session);

    public void Apply(WriteBatch batch, long sessionId, string ruleSetHash)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var connection = Connection();
                using var transaction = connection.BeginTransaction();
                using var commands = new NpgsqlBatch(connection, transaction);
                foreach (var segment in Segments(batch.Operations))
                {
                    Add(commands, segment, sessionId, ruleSetHash);
                }

                if (commands.BatchCommands.Count > 0)
                {
                    commands.ExecuteNonQuery();
                }

                transaction.Commit();
                return;
            }
            catch (NpgsqlException e) when (attempt == 0 && ConnectionLost(e))
            {
                Drop();
            }
            catch
            {
                Drop();
                throw;
            }
        }
    }

    /// <summary>
    /// The operations in runs where no flow comes twice: within a run the removals go first and the inserts in one
    /// statement, which is the order of the operations themselves only while no flow repeats (a snapshot and its
    /// finished flow in one batch go in two runs).
    /// </summary>
    private static IEnumerable<List<WriteOperation>> Segments(IReadOnlyList<WriteOperation> operations)
    {
        var segment = new List<WriteOperation>();
        var flows = new HashSet<Guid>();
        foreach (var operation in operations)
        {
            if (!flows.Add(operation.FlowId))
            {
                yield return segment;
                segment = [];
                flows.Clear();
                flows.Add(operation.FlowId);
            }

            segment.Add(operation);
        }

        if (segment.Count > 0)
        {
            yield return segment;
        }
    }

    private static void Add(NpgsqlBatch commands, List<WriteOperation> segment, long sessionId, string ruleSetHash)
    {
        // The unanalysed row goes and the final record takes its place (SQLite updates it in place instead).
        Delete(commands, segment, WriteKind.Supersede, "analysis_pending = 1");
        Delete(commands, segment, WriteKind.Replace, "in_progress = 1");
        Delete(commands, segment, WriteKind.Revise, "TRUE");
        Delete(commands, segment, WriteKind.Delete, "TRUE");
        var records = segment.Where(o => o.Kind != WriteKind.Delete).Select(o => o.Record!).ToList();
        if (records.Count > 0)
        {
            PostgresWrites.Insert(commands, sessionId, records, ruleSetHash);
        }
    }

    private static void Delete(NpgsqlBatch commands, List<WriteOperation> segment, WriteKind kind, string condition)
    {
        var flows = segment.Where(o => o.Kind == kind).Select(o => o.FlowId).ToList();
        if (flows.Count > 0)
        {
            PostgresWrites.Delete(commands, flows, condition);
        }
    }

    /// <summary>A failure of the connection rather than of the statement: worth one more try on a new connection.</summary>
    private static bool ConnectionLost(NpgsqlException e) =>
        e is not PostgresException postgres || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal) || postgres.SqlState.StartsWith("08", StringComparison.Ordinal);

    public bool HasMoved() => false; // a server database does not vanish under its path; losing the server is a refused write

    public bool AcceptsWrites()
    {
        try
        {
            using var command = new NpgsqlCommand("SELECT 1;", Connection());
            command.ExecuteScalar();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or StorageException or InvalidOperationException or IOException or TimeoutException)
        {
            Drop();
            return false;
        }
    }

    public long WriteBack(string spillPath)
    {
        try
        {
            return PostgresSpillCopy.Copy(Connection(), spillPath);
        }
        catch
        {
            Drop();
            throw;
        }
    }

    private NpgsqlConnection Connection() => _connection ??= PostgresStore.Connect(_source, location);

    private void Drop()
    {
        _connection?.Dispose();
        _connection = null;
    }

    public void Dispose()
    {
        Drop();
        _source.Dispose();
    }
}
