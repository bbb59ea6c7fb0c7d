using MiAudit.Storage.Writing;

namespace MiAudit.Storage.Sqlite;

/// <summary>The live writer's way into an SQLite file; spill files go beside it.</summary>
internal sealed class SqliteEvidence(string path) : IEvidenceBackend
{
    public string Display => path;

    public string SpillBase => path;

    public SessionRow Session(long sessionId)
    {
        using var connection = AuditDatabase.Open(path);
        return new SessionStore(connection, SqliteDialect.Instance).Row(sessionId);
    }

    public IEvidenceTarget Open(SessionRow session) => EvidenceFile.Open(path, session);
}
