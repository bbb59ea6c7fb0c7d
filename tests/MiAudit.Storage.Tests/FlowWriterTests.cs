using Microsoft.Extensions.Logging.Abstractions;
using MiAudit.Detection.Findings;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

/// <summary>The live writer's promises, once per backend (SQLite and a real PostgreSQL).</summary>
public class FlowWriterTests
{
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Every_queued_flow_is_written_with_its_findings(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var writer = test.Writer(test.StartSession("writer"));
        for (var i = 0; i < 1500; i++)
        {
            var findings = i % 3 == 0 ? new[] { StoredData.Finding($"https://news.example/{i}") } : [];
            await writer.WriteAsync(StoredData.Record(StoredData.Flow(query: $"?n={i}"), findings));
        }

        await writer.DisposeAsync();

        Assert.Equal(1500, writer.Written);
        Assert.Equal(0, writer.Failed);
        using var store = test.Open(readOnly: true);
        var flows = store.Queries().Flows(new FindingFilter()).ToList();
        Assert.Equal(1500, flows.Count);
        Assert.Equal(500, flows.Sum(f => f.Findings.Count));
        Assert.Equal(500, store.Queries().Findings(new FindingFilter { MinSeverity = Severity.High }).Count());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_revised_verdict_replaces_a_stored_row_and_stores_a_discarded_flow_once(string backend)
    {
        // A visit learned later makes two earlier flows leaks: one was stored (store all), one was not kept.
        using var test = await TestStore.CreateAsync(backend);
        var (kept, dropped) = (StoredData.Flow(query: "?n=1"), StoredData.Flow(query: "?n=2"));
        var writer = test.Writer(test.StartSession("revise"));
        writer.Stage(kept);
        writer.Stage(dropped);
        await writer.WriteAsync(StoredData.Record(kept));
        writer.Discard(dropped.Id);
        await writer.ReviseAsync(StoredData.Record(kept, StoredData.Finding("https://news.example/late")), wasStored: true);
        await writer.ReviseAsync(StoredData.Record(dropped, StoredData.Finding("https://news.example/late")), wasStored: false);
        await writer.DisposeAsync();

        Assert.Equal(2, writer.Written);
        using var store = test.Open(readOnly: true);
        var flows = store.Queries().Flows(new FindingFilter()).ToList();
        Assert.Equal(new[] { kept.Id, dropped.Id }.Order(), flows.Select(f => f.Flow.Id).Order());
        Assert.All(flows, f => Assert.Equal("https://news.example/late", Assert.Single(f.Findings).Value));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task WebSocket_messages_totals_and_trailers_read_back_as_recorded(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var flow = StoredData.Socket();
        await test.WriteAsync(StoredData.Record(flow));

        using var store = test.Open(readOnly: true);
        var stored = Assert.Single(store.Queries().Flows(new FindingFilter())).Flow;
        Assert.Equal(flow, stored, FlowComparer.Instance);
        Assert.Equal(flow.WebSocketTotals, stored.WebSocketTotals);
        Assert.True(stored.WebSocketMessages[3].Payload.Truncated);
        Assert.Equal(flow.ResponseTrailers, stored.ResponseTrailers);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Unflagged_flows_can_be_kept_without_their_bodies(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var flow = StoredData.Flow(requestBody: StoredData.Utf8("secret body"));
        await test.WriteAsync(StoredData.Record(flow) with { KeepBodies = false });

        using var store = test.Open(readOnly: true);
        var stored = Assert.Single(store.Queries().Flows(new FindingFilter())).Flow;
        Assert.True(stored.RequestBody.Bytes.IsEmpty);
        Assert.Equal(11, stored.RequestBody.WireLength);
        Assert.True(stored.RequestBody.Truncated);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Filters_select_by_session_rule_category_host_severity_and_time(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var early = StoredData.Flow(host: "a.tracker.example");
        var late = StoredData.Flow(host: "b.other.example");
        await test.WriteAsync(
            StoredData.Record(early, StoredData.Finding("u1"), StoredData.Finding("id", Severity.Low, "device-attribute", "fingerprint")),
            StoredData.Record(late, StoredData.Finding("u2", Severity.Medium, "sensors-analytics-endpoint", "telemetry")));

        using var store = test.Open(readOnly: true);
        var queries = store.Queries();
        Assert.Equal(3, queries.Findings(new FindingFilter()).Count());
        Assert.Equal(["u1"], queries.Findings(new FindingFilter { RuleId = "visited-url-leak" }).Select(f => f.Value));
        Assert.Equal(["id"], queries.Findings(new FindingFilter { Category = "fingerprint" }).Select(f => f.Value));
        Assert.Equal(["u2"], queries.Findings(new FindingFilter { Host = "*.other.example" }).Select(f => f.Value));
        Assert.Equal(2, queries.Findings(new FindingFilter { MinSeverity = Severity.Medium }).Count());
        Assert.Equal(["u2"], queries.Findings(new FindingFilter { Since = late.StartedAt }).Select(f => f.Value));
        Assert.Equal(2, queries.Findings(new FindingFilter { Until = late.StartedAt }).Count());
        Assert.Single(queries.Flows(new FindingFilter { Category = "telemetry" }));
        Assert.Empty(queries.Findings(new FindingFilter { SessionIds = [999] }));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_staged_flow_without_a_verdict_is_stored_unanalysed_and_replaced_when_the_verdict_comes(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        await using var writer = test.Writer(test.StartSession());
        var flow = StoredData.Flow(query: "?late=1");

        writer.Stage(flow);
        var unanalysed = await Eventually.RowsAsync(() => test.Rows("SELECT analysis_pending FROM flows WHERE uid = @uid", flow.Id.ToString()));
        Assert.Equal([1L], unanalysed);

        await writer.WriteAsync(StoredData.Record(flow, StoredData.Finding("https://news.example/late")));
        var analysed = await Eventually.RowsAsync(() => test.Rows("SELECT COUNT(*) FROM findings", null) is [1L] ? test.Rows("SELECT analysis_pending FROM flows", null) : []);
        Assert.Equal([0L], analysed);
        Assert.Equal(1, writer.StoredUnanalysed);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_staged_flow_discarded_after_it_was_stored_unanalysed_is_removed(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        await using var writer = test.Writer(test.StartSession());
        var flow = StoredData.Flow(query: "?discard=1");
        writer.Stage(flow);
        await Eventually.RowsAsync(() => test.Rows("SELECT COUNT(*) FROM flows", null) is [1L] ? [1L] : []);

        writer.Discard(flow.Id);
        await writer.DisposeAsync();

        Assert.Equal([0L], test.Rows("SELECT COUNT(*) FROM flows", null));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Every_verdict_leaves_one_analysed_row_per_flow_whether_or_not_it_came_in_time(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        var writer = test.Writer(test.StartSession());
        var flows = Enumerable.Range(0, 200).Select(i => StoredData.Flow(query: $"?n={i}")).ToList();
        foreach (var flow in flows)
        {
            writer.Stage(flow);
            await writer.WriteAsync(StoredData.Record(flow));
        }

        await writer.DisposeAsync();

        Assert.Equal(200, writer.Written);
        Assert.Equal([200L], test.Rows("SELECT COUNT(*) FROM flows", null));
        Assert.Equal([200L], test.Rows("SELECT COUNT(*) FROM flows WHERE analysis_pending = 0", null));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_snapshot_arriving_while_the_finished_flow_waits_for_its_verdict_never_stands_in_for_it(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        await using var writer = test.Writer(test.StartSession());
        var flow = StoredData.Flow(query: "?ran=long", requestBody: StoredData.Utf8("the whole body"));
        var snapshot = flow with { InProgress = true, RequestBody = new Flows.CapturedBody(StoredData.Utf8("the wh"), 6, ended: false) };

        writer.Stage(flow);
        await writer.WriteAsync(StoredData.Record(snapshot)); // the snapshot's analysis came late, after the flow finished
        await Eventually.RowsAsync(() => test.Rows("SELECT COUNT(*) FROM flows WHERE analysis_pending = 1", null) is [1L] ? [1L] : []);
        await writer.WriteAsync(StoredData.Record(flow, StoredData.Finding("https://news.example/long")));
        await writer.DisposeAsync();

        Assert.Equal([0L], test.Rows("SELECT in_progress FROM flows", null));
        Assert.Equal([14L], test.Rows("SELECT request_body_size FROM flows", null));
        Assert.Equal([1L], test.Rows("SELECT COUNT(*) FROM findings", null));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_stored_snapshot_is_replaced_by_the_finished_flow_or_removed_with_it(string backend)
    {
        using var test = await TestStore.CreateAsync(backend);
        await using var writer = test.Writer(test.StartSession());
        var kept = StoredData.Flow(query: "?kept=1");
        var dropped = StoredData.Flow(query: "?dropped=1");
        foreach (var flow in new[] { kept, dropped })
        {
            await writer.WriteAsync(StoredData.Record(flow with { InProgress = true }));
        }

        await Eventually.RowsAsync(() => test.Rows("SELECT COUNT(*) FROM flows WHERE in_progress = 1", null) is [2L] ? [2L] : []);
        writer.Stage(kept);
        writer.Stage(dropped);
        await writer.WriteAsync(StoredData.Record(kept, StoredData.Finding("https://news.example/kept")));
        writer.Discard(dropped.Id);
        await writer.DisposeAsync();

        Assert.Equal([0L], test.Rows("SELECT in_progress FROM flows", null));
        Assert.Equal([1L], test.Rows("SELECT COUNT(*) FROM flows", null));
        Assert.Equal([1L], test.Rows("SELECT COUNT(*) FROM findings", null));
    }

    /// <summary>Writes the records into the SQLite file <c>a.db</c> of <paramref name="dir"/> (the export tests' store).</summary>
    internal static async Task WriteAsync(TemporaryDirectory dir, params FlowRecord[] records)
    {
        long session;
        using (var store = AuditStores.Open(dir.File("a.db")))
        {
            session = store.Sessions.Start("test session", "test", "hash", null, null, DateTimeOffset.UtcNow);
        }

        await using var writer = new FlowWriter(dir.File("a.db"), session, "hash", NullLogger<FlowWriter>.Instance);
        foreach (var record in records)
        {
            await writer.WriteAsync(record);
        }
    }
}
