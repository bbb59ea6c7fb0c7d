using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

/// <summary>The writer's promises under an SQLite file's faults (locked, deleted, spill files): nothing staged is lost, nothing is counted that is not there.</summary>
public sealed class FlowWriterFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly TemporaryDirectory _dir = new();
    private readonly CapturingLoggerProvider _log = new();

    private string Database => _dir.File("a.db");

    public void Dispose()
    {
        foreach (var entry in _log.Entries)
        {
            output.WriteLine(entry.ToString());
        }

        _dir.Dispose();
    }

    [Fact]
    public async Task Flows_after_the_database_file_was_deleted_go_to_a_new_database_at_the_path()
    {
        var writer = Start();
        await writer.WriteAsync(StoredData.Record(StoredData.Flow(query: "?before=1")));
        await Eventually.RowsAsync(() => writer.Written == 1 ? [1L] : []);

        File.Delete(Database);
        File.Delete(Database + "-wal");
        File.Delete(Database + "-shm");
        for (var i = 0; i < 20; i++)
        {
            await writer.WriteAsync(StoredData.Record(StoredData.Flow(query: $"?after={i}"), StoredData.Finding($"https://news.example/{i}")));
        }

        await writer.DisposeAsync();

        Assert.True(File.Exists(Database), "no database was recreated at the path");
        Assert.Equal([20L], Rows("SELECT COUNT(*) FROM flows WHERE query LIKE '?after=%'", null));
        Assert.Equal([20L], Rows("SELECT COUNT(*) FROM findings", null));
        Assert.Equal(21, writer.Written); // the one before the deletion was written, into the file that was then deleted
        using var connection = AuditDatabase.Open(Database, readOnly: true);
        Assert.Single(new SessionStore(connection).List());
    }

    [Fact]
    public async Task A_write_lock_held_by_another_program_does_not_hold_up_the_writer_and_nothing_is_lost()
    {
        var writer = Start();
        using (var other = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            other.Open();
            using (var command = other.CreateCommand())
            {
                command.CommandText = "PRAGMA busy_timeout = 0; BEGIN IMMEDIATE;";
                command.ExecuteNonQuery();
            }

            // 2,000 flows with 64 KiB bodies: more than the writer's memory budget, so a writer waiting on the lock would block here.
            var body = new byte[64 * 1024];
            for (var i = 0; i < 2000; i++)
            {
                await writer.WriteAsync(StoredData.Record(StoredData.Flow(query: $"?locked={i}", requestBody: body)));
            }

            await Eventually.RowsAsync(() => writer.Spilled == 2000 ? [1L] : []);
            Assert.NotNull(writer.SpillPath);
            Assert.True(File.Exists(writer.SpillPath));
            using var rollback = other.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        await Eventually.RowsAsync(() => writer.Written == 2000 ? [1L] : []);
        await writer.DisposeAsync();

        Assert.Equal(0, writer.Spilled);
        Assert.Equal(0, writer.Failed);
        Assert.Equal([2000L], Rows("SELECT COUNT(*) FROM flows", null));
        Assert.False(File.Exists(writer.SpillPath), "the spill file was not removed after it was written back");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_spill_file_left_by_a_stopped_run_is_written_back_at_the_next_start()
    {
        var writer = Start();
        using (var other = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout = 0; BEGIN IMMEDIATE;";
            command.ExecuteNonQuery();
            for (var i = 0; i < 30; i++)
            {
                await writer.WriteAsync(StoredData.Record(StoredData.Flow(query: $"?left={i}"), StoredData.Finding($"https://news.example/{i}")));
            }

            await writer.DisposeAsync(); // still locked: the flows stay in the spill file
        }

        Assert.Equal(30, writer.Spilled);
        SqliteConnection.ClearAllPools();
        await using (Start())
        {
        }

        Assert.Equal([30L], Rows("SELECT COUNT(*) FROM flows", null));
        Assert.Equal([30L], Rows("SELECT COUNT(*) FROM findings", null));
        Assert.False(File.Exists(writer.SpillPath));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_spill_file_another_run_is_still_writing_is_left_to_it()
    {
        // Two proxies on one database: the second must not take the first's spill file while it is in use.
        await using (Start())
        {
        }

        SessionRow session;
        using (var connection = AuditDatabase.Open(Database))
        {
            session = new SessionStore(connection).Row(1);
        }

        var spillPath = SpillFile.Candidates(Database, session.Id).First();
        using (var spill = EvidenceFile.Open(spillPath, session, recordsDiscards: true))
        {
            var batch = new WriteBatch();
            batch.Add(WriteKind.Insert, StoredData.Record(StoredData.Flow(query: "?spilled=1")));
            spill.Apply(batch, session.Id, "hash");
            await using (Start())
            {
            }

            Assert.True(File.Exists(spillPath), "a spill file in use was taken");
            Assert.Equal([0L], Rows("SELECT COUNT(*) FROM flows", null));
        }

        await using (Start())
        {
        }

        Assert.Equal([1L], Rows("SELECT COUNT(*) FROM flows", null));
        Assert.False(File.Exists(spillPath));
        Assert.False(File.Exists(spillPath + ".lock"));
    }

    private FlowWriter Start()
    {
        long session;
        using (var connection = AuditDatabase.Open(Database))
        {
            var sessions = new SessionStore(connection);
            session = sessions.List().FirstOrDefault()?.Id ?? sessions.Start("faults", "test", "hash", null, null, DateTimeOffset.UtcNow);
        }

        return new FlowWriter(Database, session, "hash", _log.CreateFactory().CreateLogger<FlowWriter>());
    }

    private List<long> Rows(string sql, string? uid)
    {
        if (!File.Exists(Database))
        {
            return [];
        }

        using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (uid is not null)
        {
            command.Parameters.AddWithValue("$uid", uid);
        }

        using var reader = command.ExecuteReader();
        var rows = new List<long>();
        while (reader.Read())
        {
            rows.Add(reader.GetInt64(0));
        }

        return rows;
    }
}
