using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

/// <summary>The writer's promises under faults, over real SQLite files: nothing staged is lost, nothing is counted that is not there.</summary>
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
    public async Task A_staged_flow_without_a_verdict_is_stored_unanalysed_and_replaced_when_the_verdict_comes()
    {
        await using var writer = Start();
        var flow = StoredData.Flow(query: "?late=1");

        writer.Stage(flow);
        var unanalysed = await EventuallyAsync(() => Rows("SELECT analysis_pending FROM flows WHERE uid = $uid", flow.Id.ToString()));
        Assert.Equal([1L], unanalysed);

        await writer.WriteAsync(StoredData.Record(flow, StoredData.Finding("https://news.example/late")));
        var analysed = await EventuallyAsync(() => Rows("SELECT COUNT(*) FROM findings", null) is [1L] ? Rows("SELECT analysis_pending FROM flows", null) : []);
        Assert.Equal([0L], analysed);
        Assert.Equal(1, writer.StoredUnanalysed);
    }

    [Fact]
    public async Task A_staged_flow_discarded_after_it_was_stored_unanalysed_is_removed()
    {
        await using var writer = Start();
        var flow = StoredData.Flow(query: "?discard=1");
        writer.Stage(flow);
        await EventuallyAsync(() => Rows("SELECT COUNT(*) FROM flows", null) is [1L] ? [1L] : []);

        writer.Discard(flow.Id);
        await writer.DisposeAsync();

        Assert.Equal([0L], Rows("SELECT COUNT(*) FROM flows", null));
    }

    [Fact]
    public async Task Every_verdict_leaves_one_analysed_row_per_flow_whether_or_not_it_came_in_time()
    {
        var writer = Start();
        var flows = Enumerable.Range(0, 200).Select(i => StoredData.Flow(query: $"?n={i}")).ToList();
        foreach (var flow in flows)
        {
            writer.Stage(flow);
            await writer.WriteAsync(StoredData.Record(flow));
        }

        await writer.DisposeAsync();

        Assert.Equal(200, writer.Written);
        Assert.Equal([200L], Rows("SELECT COUNT(*) FROM flows", null));
        Assert.Equal([200L], Rows("SELECT COUNT(*) FROM flows WHERE analysis_pending = 0", null));
    }

    [Fact]
    public async Task Flows_after_the_database_file_was_deleted_go_to_a_new_database_at_the_path()
    {
        var writer = Start();
        await writer.WriteAsync(StoredData.Record(StoredData.Flow(query: "?before=1")));
        await EventuallyAsync(() => writer.Written == 1 ? [1L] : []);

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

            await EventuallyAsync(() => writer.Spilled == 2000 ? [1L] : []);
            Assert.NotNull(writer.SpillPath);
            Assert.True(File.Exists(writer.SpillPath));
            using var rollback = other.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        await EventuallyAsync(() => writer.Written == 2000 ? [1L] : []);
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

    /// <summary>Polls until <paramref name="probe"/> returns rows (no timing assertion: the bound only ends a hung test).</summary>
    private static async Task<List<long>> EventuallyAsync(Func<List<long>> probe)
    {
        for (var i = 0; i < 300; i++)
        {
            if (probe() is { Count: > 0 } rows)
            {
                return rows;
            }

            await Task.Delay(50);
        }

        return probe();
    }

    [Fact]
    public async Task A_snapshot_arriving_while_the_finished_flow_waits_for_its_verdict_never_stands_in_for_it()
    {
        await using var writer = Start();
        var flow = StoredData.Flow(query: "?ran=long", requestBody: StoredData.Utf8("the whole body"));
        var snapshot = flow with { InProgress = true, RequestBody = new Flows.CapturedBody(StoredData.Utf8("the wh"), 6, ended: false) };

        writer.Stage(flow);
        await writer.WriteAsync(StoredData.Record(snapshot)); // the snapshot's analysis came late, after the flow finished
        await EventuallyAsync(() => Rows("SELECT COUNT(*) FROM flows WHERE analysis_pending = 1", null) is [1L] ? [1L] : []);
        await writer.WriteAsync(StoredData.Record(flow, StoredData.Finding("https://news.example/long")));
        await writer.DisposeAsync();

        Assert.Equal([0L], Rows("SELECT in_progress FROM flows", null));
        Assert.Equal([14L], Rows("SELECT request_body_size FROM flows", null));
        Assert.Equal([1L], Rows("SELECT COUNT(*) FROM findings", null));
    }

    [Fact]
    public async Task A_stored_snapshot_is_replaced_by_the_finished_flow_or_removed_with_it()
    {
        await using var writer = Start();
        var kept = StoredData.Flow(query: "?kept=1");
        var dropped = StoredData.Flow(query: "?dropped=1");
        foreach (var flow in new[] { kept, dropped })
        {
            await writer.WriteAsync(StoredData.Record(flow with { InProgress = true }));
        }

        await EventuallyAsync(() => Rows("SELECT COUNT(*) FROM flows WHERE in_progress = 1", null) is [2L] ? [2L] : []);
        writer.Stage(kept);
        writer.Stage(dropped);
        await writer.WriteAsync(StoredData.Record(kept, StoredData.Finding("https://news.example/kept")));
        writer.Discard(dropped.Id);
        await writer.DisposeAsync();

        Assert.Equal([0L], Rows("SELECT in_progress FROM flows", null));
        Assert.Equal([1L], Rows("SELECT COUNT(*) FROM flows", null));
        Assert.Equal([1L], Rows("SELECT COUNT(*) FROM findings", null));
    }
}
