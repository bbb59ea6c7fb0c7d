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

    /// <summary>SQLite's <c>application_id</c> of a MiAudit database ("MiAu"): another program's file is never written.</summary>
    public const int ApplicationId = 0x4D694175;

    // What a MiAudit database made before the application id was set has; such a file is marked, not refused.
    private static readonly string[] OwnTables = ["sessions", "flows", "findings"];

    /// <exception cref="StorageException">The file cannot be opened, is not a MiAudit database, or is newer than this build.</exception>
    /// <param name="mustExist">Refuse to create the file (a command that changes an audit, such as a rescan, given a mistyped path).</param>
    public static SqliteConnection Open(string path, bool readOnly = false, bool mustExist = false)
    {
        if ((readOnly || mustExist) && !File.Exists(path))
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
            var empty = CheckOwnership(connection, path);
            if (readOnly && empty)
            {
                throw new StorageException($"{path} holds no MiAudit database (an empty SQLite file)");
            }

            if (!readOnly)
            {
                Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
                Migrate(connection, mark: empty || ApplicationIdOf(connection) != ApplicationId);
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

    /// <summary>
    /// Refuses a file that is not MiAudit's: one marked by another program, or one with tables and no mark (unless
    /// they are MiAudit's own, from before the mark). True when the file is empty, a new database.
    /// </summary>
    private static bool CheckOwnership(SqliteConnection connection, string path)
    {
        var id = ApplicationIdOf(connection);
        if (id == ApplicationId)
        {
            return false;
        }

        if (id != 0)
        {
            throw new StorageException($"{path} is not a MiAudit database (it belongs to another program: SQLite application_id 0x{id:X8}); give --db a new file");
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;";
        var tables = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        if (tables.Count == 0)
        {
            return true;
        }

        if (UserVersion(connection) > 0 && OwnTables.All(tables.Contains))
        {
            return false;
        }

        var shown = string.Join(", ", tables.Take(5)) + (tables.Count > 5 ? $" and {tables.Count - 5} more" : "");
        throw new StorageException($"{path} is not a MiAudit database (an SQLite file with the tables {shown}); it is left untouched: give --db a new file");
    }

    private static int ApplicationIdOf(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA application_id;";
        return Convert.ToInt32(command.ExecuteScalar()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Migrate(SqliteConnection connection, bool mark)
    {
        if (mark)
        {
            Execute(connection, $"PRAGMA application_id = {ApplicationId};");
        }

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
public class StorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A new session would share its label with an existing one.</summary>
public sealed class DuplicateSessionLabelException(string message) : StorageException(message);
