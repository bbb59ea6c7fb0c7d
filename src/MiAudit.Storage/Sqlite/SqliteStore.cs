using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using MiAudit.Detection.Masking;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Sql;
using MiAudit.Storage.Writing;

namespace MiAudit.Storage.Sqlite;

/// <summary>The embedded store: one SQLite file (WAL), one connection shared by the reads of a command.</summary>
internal sealed class SqliteStore : IAuditStore
{
    private readonly SqliteConnection _connection;
    private readonly bool _readOnly;

    private SqliteStore(string path, SqliteConnection connection, bool readOnly)
    {
        Location = path;
        _connection = connection;
        _readOnly = readOnly;
        Sessions = new SessionStore(connection, SqliteDialect.Instance);
    }

    public static SqliteStore Open(string path, bool readOnly, bool mustExist) =>
        new(path, AuditDatabase.Open(path, readOnly, mustExist), readOnly);

    public string Location { get; }

    public ISessionStore Sessions { get; }

    public IAuditQueries Queries(MaskingPolicy? masking = null) =>
        new AuditQueries(() => new ConnectionLease(_connection, owned: false), SqliteDialect.Instance, masking);

    public MaskingPolicy StoredMasking() => Export.StoredMasking.For(_connection);

    // A connection of its own: WAL lets it write while the shared one streams the flows a rescan reads.
    public IBatchWriter BatchWriter(string ruleSetHash)
    {
        ThrowIfReadOnly();
        return new Writing.BatchWriter(AuditDatabase.Open(Location), ruleSetHash, ownsConnection: true);
    }

    public Search.ISearchIndex SearchIndex() => new SqliteSearchIndex(Location);

    public FlowWriter FlowWriter(long sessionId, string ruleSetHash, ILogger<FlowWriter> logger)
    {
        ThrowIfReadOnly();
        return new Writing.FlowWriter(new SqliteEvidence(Location), sessionId, ruleSetHash, logger);
    }

    private void ThrowIfReadOnly()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("the store was opened read-only");
        }
    }

    public void Dispose() => _connection.Dispose();
}
