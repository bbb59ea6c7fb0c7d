using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;

namespace MiAudit.Storage.Tests;

/// <summary>What every backend behind <see cref="IAuditStore"/> promises, run against SQLite and a real PostgreSQL.</summary>
public class StoreContractTests
{
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Sessions_are_started_listed_resolved_ended_and_a_label_is_never_given_twice(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        using var store = test.Open();
        var started = new DateTimeOffset(2026, 12, 4, 9, 30, 15, 123, TimeSpan.Zero);
        var first = store.Sessions.Start("mi-browser normal", "1.0", "hash-a", "identifiers:\n  imei: 861234567890125\n", "{\"a\":1}", started);
        var second = store.Sessions.Start(store.Sessions.FreeLabel("mi-browser normal"), "1.0", "hash-a", null, null, started);

        Assert.Throws<DuplicateSessionLabelException>(() => store.Sessions.Start("mi-browser normal", "1.0", "h", null, null, started));
        store.Sessions.End(first, started.AddMinutes(5));
        store.Sessions.SetRuleSetHash(first, "hash-b");
        var sessions = store.Sessions.List();
        Assert.Equal(["mi-browser normal", "mi-browser normal (2)"], sessions.Select(s => s.Label));
        Assert.Equal(started, sessions[0].StartedAt);
        Assert.Equal(started.AddMinutes(5), sessions[0].EndedAt);
        Assert.Equal("hash-b", sessions[0].RuleSetHash);
        Assert.Null(sessions[1].EndedAt);
        Assert.Equal([first], store.Sessions.Resolve("mi-browser normal"));
        Assert.Equal([second], store.Sessions.Resolve(second.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(("identifiers:\n  imei: 861234567890125\n", "{\"a\":1}"), store.Sessions.RecordedWith(first));
        Assert.Throws<StorageException>(() => store.Sessions.Resolve("nope"));

        store.Sessions.Discard(second);
        Assert.Single(store.Sessions.List());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_flow_reads_back_as_recorded_with_its_findings_messages_and_trailers(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var flow = StoredData.Flow(requestBody: StoredData.Utf8("data=eyJ9&ext=crc%3D1"));
        var socket = StoredData.Socket();
        var awkward = StoredData.AwkwardValues.Select(v => StoredData.Finding(v)).ToArray();
        await test.WriteAsync(StoredData.Record(flow, awkward), StoredData.Record(socket));

        using var store = test.Open(readOnly: true);
        var flows = store.Queries().Flows(new FindingFilter()).ToList();
        Assert.Equal(2, flows.Count);
        Assert.Equal(flow with { }, flows[0].Flow, FlowComparer.Instance);
        Assert.Equal(StoredData.AwkwardValues, flows[0].Findings.Select(f => f.Value));
        Assert.Equal(["base64", "json"], flows[0].Findings[0].Transforms);
        Assert.Equal(socket with { }, flows[1].Flow, FlowComparer.Instance);
        var byId = store.Queries().FlowById(flows[0].RowId)!;
        Assert.Equal(flow with { }, byId.Flow, FlowComparer.Instance);
        Assert.Equal(flows[0].SessionId, byId.SessionId);
        Assert.Equal(awkward.Length, byId.Findings.Count);
        Assert.Null(store.Queries().FlowById(flows[1].RowId + 1000));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Filters_select_the_same_findings_in_every_backend(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var early = StoredData.Flow(host: "SA.Tracker.Example");
        var late = StoredData.Flow(host: "log.other.example");
        var session = await test.WriteAsync(
            StoredData.Record(early, StoredData.Finding("https://a.example/", Severity.High), StoredData.Finding("861234567890125", Severity.Medium, "device-identifier", "device-id")),
            StoredData.Record(late, StoredData.Finding("https://b.example/", Severity.Low)));

        using var store = test.Open(readOnly: true);
        var queries = store.Queries();
        int Count(FindingFilter filter) => queries.Findings(filter).Count();
        Assert.Equal(3, Count(new FindingFilter()));
        Assert.Equal(2, Count(new FindingFilter { Host = "sa.tracker.example" }));
        Assert.Equal(2, Count(new FindingFilter { Host = "*.TRACKER.example" }));
        Assert.Equal(0, Count(new FindingFilter { Host = "*.tracker_example" }));
        Assert.Equal(2, Count(new FindingFilter { Site = "tracker.example" }));
        Assert.Equal(2, Count(new FindingFilter { Site = "SA.tracker.example" }));
        Assert.Equal(0, Count(new FindingFilter { Site = "racker.example" }));
        Assert.Equal(1, Count(new FindingFilter { Category = "device-id" }));
        Assert.Equal(2, Count(new FindingFilter { MinSeverity = Severity.Medium }));
        Assert.Equal(1, Count(new FindingFilter { RuleId = "device-identifier" }));
        Assert.Equal(1, Count(new FindingFilter { Since = late.StartedAt }));
        Assert.Equal(2, Count(new FindingFilter { Until = late.StartedAt }));
        Assert.Equal(3, Count(new FindingFilter { SessionIds = [session] }));
        Assert.Equal(0, Count(new FindingFilter { SessionIds = [session + 1] }));
        Assert.Single(queries.Flows(new FindingFilter { Category = "device-id" }));

        var row = queries.Findings(new FindingFilter { Category = "device-id" }).Single();
        Assert.Equal(early.StartedAt, row.Time);
        Assert.Equal(early.Url, row.Url);
        Assert.Equal("test", row.Session);
        Assert.Equal(Severity.Medium, row.Severity);
        Assert.Equal("base64 → json", row.TransformsText);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_flow_stored_unanalysed_is_completed_by_its_verdict_and_a_snapshot_by_the_finished_flow(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var session = test.StartSession();
        var writer = test.Writer(session);
        var slow = StoredData.Flow(query: "?slow=1");
        var running = StoredData.Socket();
        writer.Stage(slow);
        await writer.WriteAsync(StoredData.Record(running with { InProgress = true }));
        await Task.Delay(FlowWriter.StaleAfter * 3);
        await writer.WriteAsync(StoredData.Record(slow, StoredData.Finding("https://late.example/")));
        await writer.WriteAsync(StoredData.Record(running, StoredData.Finding("3f8a6b2c1d4e5f60", Severity.Medium, "device-identifier", "device-id")));
        await writer.DisposeAsync();

        using var store = test.Open(readOnly: true);
        Assert.Equal(0, store.Sessions.UnanalysedFlows());
        var flows = store.Queries().Flows(new FindingFilter()).ToList();
        Assert.Equal(2, flows.Count);
        Assert.Equal("https://late.example/", Assert.Single(flows.Single(f => f.Flow.Id == slow.Id).Findings).Value);
        var socket = flows.Single(f => f.Flow.Id == running.Id);
        Assert.False(socket.Flow.InProgress);
        Assert.Single(socket.Findings);
        Assert.Equal(running.WebSocketMessages.Count, socket.Flow.WebSocketMessages.Count);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Operations_on_one_flow_in_one_batch_apply_in_their_order(string backend)
    {
        // Queued back to back, these land in one transaction: snapshot, finished flow, revision; a flow kept then dropped.
        using var test = await TestStore.CreateAsync(backend);
        var session = test.StartSession();
        var writer = test.Writer(session);
        var socket = StoredData.Socket();
        var dropped = StoredData.Flow(query: "?dropped=1");
        for (var i = 0; i < 3; i++)
        {
            await writer.WriteAsync(StoredData.Record(socket with { InProgress = true }));
        }

        await writer.WriteAsync(StoredData.Record(socket, StoredData.Finding("https://first.example/")));
        await writer.ReviseAsync(StoredData.Record(socket, StoredData.Finding("https://revised.example/"), StoredData.Finding("https://also.example/")), wasStored: true);
        writer.Stage(dropped);
        writer.Discard(dropped.Id);
        await writer.DisposeAsync();

        using var store = test.Open(readOnly: true);
        var stored = Assert.Single(store.Queries().Flows(new FindingFilter()));
        Assert.False(stored.Flow.InProgress);
        Assert.Equal(["https://revised.example/", "https://also.example/"], stored.Findings.Select(f => f.Value));
        Assert.Equal(socket.WebSocketMessages.Count, stored.Flow.WebSocketMessages.Count);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_rescan_replaces_findings_while_it_streams_the_flows_it_reads(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var records = Enumerable.Range(0, 700).Select(i => StoredData.Record(StoredData.Flow(query: $"?n={i}"), StoredData.Finding($"https://old.example/{i}"))).ToArray();
        await test.WriteAsync(records);

        using var store = test.Open();
        var queries = store.Queries();
        var rescanned = 0;
        using (var writer = store.BatchWriter("hash-2"))
        {
            // Two streams at once, as the scan command reads them (by start and by completion).
            foreach (var (stored, _) in queries.Flows(new FindingFilter()).Zip(queries.Flows(new FindingFilter(), byCompletion: true)))
            {
                writer.ReplaceFindings(stored.RowId, rescanned % 2 == 0 ? [StoredData.Finding("https://new.example/", Severity.Critical)] : []);
                rescanned++;
            }
        }

        Assert.Equal(700, rescanned);
        Assert.Equal(350, queries.Findings(new FindingFilter()).Count());
        Assert.All(queries.Findings(new FindingFilter()), f => Assert.Equal("https://new.example/", f.Value));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Imported_flows_get_row_ids_and_one_stored_twice_is_refused(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        using var store = test.Open();
        var session = store.Sessions.Start("import", "test", "hash", null, null, DateTimeOffset.UtcNow);
        var flow = StoredData.Flow();
        using (var writer = store.BatchWriter("hash"))
        {
            var id = writer.Insert(session, StoredData.Record(flow, StoredData.Finding("https://a.example/")));
            writer.Commit();
            Assert.Equal(id, Assert.Single(store.Queries().Flows(new FindingFilter())).RowId);
            Assert.Throws<StorageException>(() => writer.Insert(session, StoredData.Record(flow)));
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Text_the_engine_cannot_hold_is_stored_as_the_replacement_character_and_headers_keep_it(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var flow = StoredData.Flow() with { RequestHeaders = [new HeaderField("X-Nul", "a\0b")] };
        await test.WriteAsync(StoredData.Record(flow, StoredData.Finding("a\0b\ud800c")));

        using var store = test.Open(readOnly: true);
        var stored = Assert.Single(store.Queries().Flows(new FindingFilter()));
        Assert.Equal("a\0b", Assert.Single(stored.Flow.RequestHeaders).Value);
        Assert.Equal(backend == Backends.Postgres ? "a\ufffdb\ufffdc" : "a\0b\ufffdc", Assert.Single(stored.Findings).Value);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Masking_covers_every_identifier_of_the_store(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        await test.WriteAsync(StoredData.Record(StoredData.Flow(query: "?aid=3f8a6b2c1d4e5f60"), StoredData.Finding("3f8a6b2c1d4e5f60", Severity.High, "device-identifier", "device-id")));

        using var store = test.Open(readOnly: true);
        var row = store.Queries(store.StoredMasking()).Findings(new FindingFilter()).Single();
        Assert.DoesNotContain("3f8a6b2c1d4e5f60", row.Value + row.Url + row.Snippet);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_search_index_finds_substrings_ignoring_case_newest_first_and_replaces_an_entry(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        await test.WriteAsync(StoredData.Record(StoredData.Flow()));
        using var store = test.Open();
        using var index = store.SearchIndex();
        Assert.Null(index.Range());
        index.Add([
            new(1, "u1", "GET https://a.example/\n$url https://News.Example/Only-Here 100% sure"),
            new(2, "u2", "POST https://b.example/\nnothing to see"),
            new(3, "u3", "GET https://c.example/?q=only-here"),
        ]);
        Assert.Equal((1L, 3L), index.Range());
        Assert.Equal([3L, 1L], index.Search("ONLY-HERE", null, 10));
        Assert.Equal([1L], index.Search("only-here", 3, 10));
        Assert.Equal([3L], index.Search("only-here", null, 1));
        Assert.Equal([1L], index.Search("0%", null, 10)); // shorter than a trigram, and LIKE's own characters are literal
        Assert.Empty(index.Search("o_ly", null, 10));
        index.Add([new(3, "u3b", "replaced")]);
        Assert.Equal([1L], index.Search("only-here", null, 10));
        Assert.Equal(3, index.Size().Entries);
        Assert.True(index.Size().Bytes > 0);
        Assert.Equal("u3b", index.UidOf(3));
        Assert.Null(index.UidOf(4));
        index.Clear();
        Assert.Null(index.Range());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Reading_a_store_that_was_never_written_is_one_clear_error(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var error = Assert.ThrowsAny<StorageException>(() => test.Open(readOnly: true));
        Assert.Matches("no database at|holds no MiAudit database", error.Message);
        Assert.DoesNotContain(PasswordOf(test.Location), error.Message);
    }

    private static string PasswordOf(string location) =>
        location.StartsWith("postgresql://", StringComparison.Ordinal) ? location.Split(':')[2].Split('@')[0] : "\u0001";
}
