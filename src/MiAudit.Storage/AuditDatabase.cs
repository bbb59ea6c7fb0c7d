using Microsoft.Data.Sqlite;
using MiAudit.Storage.Schema;

namespace MiAudit.Storage;

/// <summary>
/// Opens MiAudit's SQLite file: WAL (readers never block the writer, a killed process loses nothing committed),
/// foreign keys on, and the schema migrated forward to the version this build knows.
/// </summary>
public static class AuditDatabase
{
    public const string DefaultFileName = "miaudit.db";

    public static int SchemaVersion => Migrations.Steps.Length;

    /// <exception cref="StorageException">The file cannot be opened, is not a MiAudit database, or is newer than this build.</exception>
    public static SqliteConnection Open(string path, bool readOnly = false)
    {
        if (readOnly && !File.Exists(path))
        {
            throw new StorageException($"no database at {path} (run 'miaudit run' first, or give --db)");
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 5, // seconds to wait for a lock held by another process before saying so
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
            if (!readOnly)
            {
                Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
                Migrate(connection);
            }
            else if (UserVersion(connection) is var version && version != SchemaVersion)
            {
                throw new StorageException(version > SchemaVersion
                    ? $"{path} was written by a newer MiAudit (schema {version}, this build knows {SchemaVersion})"
                    : $"{path} has schema {version}; open it once without read-only access to upgrade it");
            }

            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StorageException($"cannot open {path}: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Migrate(SqliteConnection connection)
    {
        var version = UserVersion(connection);
        if (version > SchemaVersion)
        {
            throw new StorageException($"the database was written by a newer MiAudit (schema {version}, this build knows {SchemaVersion})");
        }

        for (var step = version; step < SchemaVersion; step++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, Migrations.Steps[step], transaction);
            Execute(connection, $"PRAGMA user_version = {step + 1};", transaction);
            transaction.Commit();
        }
    }

    private static long UserVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}

/// <summary>A storage problem the user must see: the message says what and where.</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);
