using Microsoft.Data.Sqlite;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

public class AuditDatabaseTests
{
    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public void A_new_database_gets_the_schema_wal_and_foreign_keys()
    {
        using var dir = new TemporaryDirectory();
        using var connection = AuditDatabase.Open(dir.File("a.db"));

        Assert.Equal((long)AuditDatabase.SchemaVersion, Scalar(connection, "PRAGMA user_version;"));
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal(1L, Scalar(connection, "PRAGMA foreign_keys;"));
        Assert.Equal(3L, Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'flows', 'findings');"));
    }

    [Fact]
    public void Reopening_keeps_data_and_does_not_migrate_twice()
    {
        using var dir = new TemporaryDirectory();
        using (var first = AuditDatabase.Open(dir.File("a.db")))
        {
            new SessionStore(first).Start("one", "test", "hash", null, null, DateTimeOffset.UtcNow);
        }

        using var second = AuditDatabase.Open(dir.File("a.db"));
        Assert.Single(new SessionStore(second).List());
    }

    [Fact]
    public void A_database_from_a_newer_miaudit_is_refused_with_the_reason()
    {
        using var dir = new TemporaryDirectory();
        using (var connection = AuditDatabase.Open(dir.File("a.db")))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<StorageException>(() => AuditDatabase.Open(dir.File("a.db")));
        Assert.Contains("newer MiAudit", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_refused()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("notes.db"), "these are my notes, not a database, and they are long enough to have a header");

        Assert.Throws<StorageException>(() => AuditDatabase.Open(dir.File("notes.db")));
    }

    [Fact]
    public void Read_only_access_needs_an_existing_database()
    {
        using var dir = new TemporaryDirectory();

        var error = Assert.Throws<StorageException>(() => AuditDatabase.Open(dir.File("missing.db"), readOnly: true));
        Assert.Contains("no database", error.Message);
    }
}
