using MiAudit.Storage.Postgres;
using MiAudit.Storage.Sqlite;

namespace MiAudit.Storage;

/// <summary>Opens the store a location names: a file is SQLite, a <c>postgresql://</c> URL is PostgreSQL.</summary>
public static class AuditStores
{
    /// <param name="readOnly">Read only: nothing is created or migrated (reports, exports).</param>
    /// <param name="mustExist">Refuse to create the store (a command that changes an audit, given a mistyped path).</param>
    /// <exception cref="StorageException">It cannot be opened or reached, is not MiAudit's, or is newer than this build.</exception>
    public static IAuditStore Open(string location, bool readOnly = false, bool mustExist = false) =>
        Open(StoreAddress.Parse(location), readOnly, mustExist);

    public static IAuditStore Open(StoreAddress location, bool readOnly = false, bool mustExist = false) =>
        location.IsPostgres ? PostgresStore.Open(location, readOnly, mustExist) : SqliteStore.Open(location.FilePath!, readOnly, mustExist);
}
