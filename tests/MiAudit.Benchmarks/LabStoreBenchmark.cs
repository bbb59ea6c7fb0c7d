using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Benchmarks;

/// <summary>
/// A lab's store: several proxies' live writers (each a <see cref="FlowWriter"/> with its own session and connection,
/// as in separate <c>miaudit run</c> processes) committing into one PostgreSQL started for the purpose (initdb in a
/// temporary directory), against one writer into SQLite in the same run. Prints flows committed per second in total.
/// </summary>
public static class LabStoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var writers = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 4;
        var flows = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 50_000;
        await using var cluster = await PostgresCluster.StartAsync();
        var url = cluster.Url(await cluster.CreateDatabaseAsync("lab"));
        var directory = Directory.CreateTempSubdirectory("miaudit-lab-bench").FullName;
        try
        {
            var sqlite = await MeasureAsync(Path.Combine(directory, "one.db"), 1, flows);
            Console.WriteLine($"sqlite, 1 writer: {sqlite:N0} flows/s committed");
            var postgres = await MeasureAsync(url, writers, flows);
            Console.WriteLine($"postgresql, {writers} writers at once: {postgres:N0} flows/s committed in total ({postgres / writers:N0} each); "
                + $"{postgres / sqlite:N2}x the single SQLite writer; target 20,000: {(postgres >= 20_000 ? "met" : "NOT met")}");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Each writer gets <paramref name="flows"/> flows as fast as it takes them; timed until every one is committed.</summary>
    private static async Task<double> MeasureAsync(string location, int writers, int flows)
    {
        var template = Corpus.Mixed()[1] with
        {
            ResponseHeaders = [new("Content-Type", "application/json"), new("Content-Length", "512"), new("Cache-Control", "no-store")],
            ResponseBody = CapturedBody.From(new byte[512]),
        };
        var finding = SampleFlows.Finding("visited-url-leak", Severity.High, "url-leak", "https://news.example/a", "query[data] → base64 → json.$url");
        var sessions = new List<long>();
        using (var store = AuditStores.Open(location))
        {
            for (var w = 0; w < writers; w++)
            {
                sessions.Add(store.Sessions.Start($"writer {w}", "bench", "hash", null, null, DateTimeOffset.UtcNow));
            }
        }

        var clock = Stopwatch.StartNew();
        var written = await Task.WhenAll(sessions.Select(session => Task.Run(async () =>
        {
            FlowWriter writer;
            using (var store = AuditStores.Open(location))
            {
                writer = store.FlowWriter(session, "hash", NullLogger<FlowWriter>.Instance);
            }

            for (var i = 0; i < flows; i++)
            {
                Finding[] findings = i % 3 == 0 ? [finding] : [];
                await writer.WriteAsync(new FlowRecord(template with { Id = Guid.CreateVersion7() }, findings, [], KeepBodies: i % 10 == 0));
            }

            await writer.DisposeAsync();
            return writer.Written;
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        if (written.Sum() != (long)writers * flows)
        {
            throw new InvalidOperationException($"{written.Sum()} of {writers * flows} flows written");
        }

        return writers * flows / seconds;
    }
}
