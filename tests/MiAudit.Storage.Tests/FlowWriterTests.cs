using Microsoft.Extensions.Logging.Abstractions;
using MiAudit.Detection.Findings;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

public class FlowWriterTests
{
    [Fact]
    public async Task Every_queued_flow_is_written_with_its_findings()
    {
        using var dir = new TemporaryDirectory();
        long session;
        using (var connection = AuditDatabase.Open(dir.File("a.db")))
        {
            session = new SessionStore(connection).Start("writer", "test", "hash", null, null, DateTimeOffset.UtcNow);
        }

        var writer = new FlowWriter(dir.File("a.db"), session, "hash", NullLogger<FlowWriter>.Instance);
        for (var i = 0; i < 1500; i++)
        {
            var findings = i % 3 == 0 ? new[] { StoredData.Finding($"https://news.example/{i}") } : [];
            await writer.WriteAsync(StoredData.Record(StoredData.Flow(query: $"?n={i}"), findings));
        }

        await writer.DisposeAsync();

        Assert.Equal(1500, writer.Written);
        Assert.Equal(0, writer.Failed);
        using var reader = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var flows = new AuditQueries(reader).Flows(new FindingFilter()).ToList();
        Assert.Equal(1500, flows.Count);
        Assert.Equal(500, flows.Sum(f => f.Findings.Count));
        Assert.Equal(500, new AuditQueries(reader).Findings(new FindingFilter { MinSeverity = Severity.High }).Count());
    }

    [Fact]
    public async Task A_revised_verdict_replaces_a_stored_row_and_stores_a_discarded_flow_once()
    {
        // A visit learned later makes two earlier flows leaks: one was stored (store all), one was not kept.
        using var dir = new TemporaryDirectory();
        long session;
        using (var connection = AuditDatabase.Open(dir.File("a.db")))
        {
            session = new SessionStore(connection).Start("revise", "test", "hash", null, null, DateTimeOffset.UtcNow);
        }

        var (kept, dropped) = (StoredData.Flow(query: "?n=1"), StoredData.Flow(query: "?n=2"));
        var writer = new FlowWriter(dir.File("a.db"), session, "hash", NullLogger<FlowWriter>.Instance);
        writer.Stage(kept);
        writer.Stage(dropped);
        await writer.WriteAsync(StoredData.Record(kept));
        writer.Discard(dropped.Id);
        await writer.ReviseAsync(StoredData.Record(kept, StoredData.Finding("https://news.example/late")), wasStored: true);
        await writer.ReviseAsync(StoredData.Record(dropped, StoredData.Finding("https://news.example/late")), wasStored: false);
        await writer.DisposeAsync();

        Assert.Equal(2, writer.Written);
        using var reader = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var flows = new AuditQueries(reader).Flows(new FindingFilter()).ToList();
        Assert.Equal(new[] { kept.Id, dropped.Id }.Order(), flows.Select(f => f.Flow.Id).Order());
        Assert.All(flows, f => Assert.Equal("https://news.example/late", Assert.Single(f.Findings).Value));
    }

    [Fact]
    public async Task A_stored_flow_reads_back_as_it_was_recorded()
    {
        using var dir = new TemporaryDirectory();
        var flow = StoredData.Flow(requestBody: StoredData.Utf8("data=eyJ9&ext=crc%3D1"));
        await WriteAsync(dir, StoredData.Record(flow, StoredData.Finding("https://news.example/a")));

        using var reader = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var stored = Assert.Single(new AuditQueries(reader).Flows(new FindingFilter()));

        Assert.Equal(flow with { }, stored.Flow, FlowComparer.Instance);
        Assert.Equal("https://news.example/a", Assert.Single(stored.Findings).Value);
    }

    [Fact]
    public async Task WebSocket_messages_totals_and_trailers_read_back_as_recorded()
    {
        using var dir = new TemporaryDirectory();
        var flow = StoredData.Socket();
        await WriteAsync(dir, StoredData.Record(flow));

        using var reader = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var stored = Assert.Single(new AuditQueries(reader).Flows(new FindingFilter())).Flow;

        Assert.Equal(flow, stored, FlowComparer.Instance);
        Assert.Equal(flow.WebSocketTotals, stored.WebSocketTotals);
        Assert.True(stored.WebSocketMessages[3].Payload.Truncated);
        Assert.Equal(flow.ResponseTrailers, stored.ResponseTrailers);
    }

    [Fact]
    public async Task Unflagged_flows_can_be_kept_without_their_bodies()
    {
        using var dir = new TemporaryDirectory();
        var flow = StoredData.Flow(requestBody: StoredData.Utf8("secret body"));
        await WriteAsync(dir, StoredData.Record(flow) with { KeepBodies = false });

        using var reader = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var stored = Assert.Single(new AuditQueries(reader).Flows(new FindingFilter())).Flow;
        Assert.True(stored.RequestBody.Bytes.IsEmpty);
        Assert.Equal(11, stored.RequestBody.WireLength);
        Assert.True(stored.RequestBody.Truncated);
    }

    [Fact]
    public async Task Filters_select_by_session_rule_category_host_severity_and_time()
    {
        using var dir = new TemporaryDirectory();
        var early = StoredData.Flow(host: "a.tracker.example");
        var late = StoredData.Flow(host: "b.other.example");
        await WriteAsync(dir,
            StoredData.Record(early, StoredData.Finding("u1"), StoredData.Finding("id", Severity.Low, "device-attribute", "fingerprint")),
            StoredData.Record(late, StoredData.Finding("u2", Severity.Medium, "sensors-analytics-endpoint", "telemetry")));

        using var reader = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var queries = new AuditQueries(reader);
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

    internal static async Task WriteAsync(TemporaryDirectory dir, params FlowRecord[] records)
    {
        long session;
        using (var connection = AuditDatabase.Open(dir.File("a.db")))
        {
            session = new SessionStore(connection).Start("test session", "test", "hash", null, null, DateTimeOffset.UtcNow);
        }

        await using var writer = new FlowWriter(dir.File("a.db"), session, "hash", NullLogger<FlowWriter>.Instance);
        foreach (var record in records)
        {
            await writer.WriteAsync(record);
        }
    }
}
