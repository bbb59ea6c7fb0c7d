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
