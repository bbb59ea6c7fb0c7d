using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Writing;
using MiAudit.Testing;
using MiAudit.Ui.Search;

namespace MiAudit.Benchmarks;

/// <summary>
/// What the web UI's search index costs: the live writer's throughput into SQLite with and without the indexer
/// running beside it (same run, same flows), the time to index them, and the index's size per 100,000 flows.
/// </summary>
public static class SearchIndexBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var flows = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        var directory = Directory.CreateTempSubdirectory("miaudit-index-bench").FullName;
        try
        {
            var without = await WriteAsync(Path.Combine(directory, "plain.db"), flows, index: false);
            var (with, indexedAfter, entries, bytes) = await WriteWithIndexAsync(Path.Combine(directory, "indexed.db"), flows);
            Console.WriteLine($"writer alone: {without:N0} flows/s; with the indexer running: {with:N0} flows/s ({with / without:P0})");
            Console.WriteLine($"index: {entries:N0} flows indexed {indexedAfter.TotalSeconds:N1} s after the writer started ({entries / indexedAfter.TotalSeconds:N0}/s); "
                + $"{bytes / (1 << 20):N1} MiB, {bytes * 100_000.0 / Math.Max(entries, 1) / (1 << 20):N0} MiB per 100,000 flows; "
                + $"database {new FileInfo(Path.Combine(directory, "indexed.db")).Length / (1 << 20):N0} MiB");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(double FlowsPerSecond, TimeSpan IndexedAfter, long Entries, long Bytes)> WriteWithIndexAsync(string path, int flows)
    {
        using (AuditStores.Open(path))
        {
        }

        var clock = Stopwatch.StartNew();
        using var indexer = SearchIndexer.Start(StoreAddress.Parse(path), NullLogger.Instance)!;
        var rate = await WriteAsync(path, flows, index: true);
        while (indexer.Coverage.High < flows || indexer.Coverage.Low > 1)
        {
            await Task.Delay(50);
        }

        var elapsed = clock.Elapsed;
        var (entries, bytes) = indexer.Index.Size();
        var search = Stopwatch.StartNew();
        var found = indexer.Index.Search("article-77777", null, 100).Count + indexer.Index.Search("ARTICLE-1234", null, 100).Count;
        Console.WriteLine($"two searches over the index: {search.Elapsed.TotalMilliseconds:N0} ms, {found} candidates");
        return (rate, elapsed, entries, bytes);
    }

    /// <summary>Telemetry-like flows (a base64 JSON event in the query, a finding on every third) through the live writer.</summary>
    private static async Task<double> WriteAsync(string path, int flows, bool index)
    {
        long session;
        using (var store = AuditStores.Open(path))
        {
            session = store.Sessions.Start(index ? "indexed" : "plain", "bench", "hash", null, null, DateTimeOffset.UtcNow);
        }

        var finding = SampleFlows.Finding("visited-url-leak", Severity.High, "url-leak", "https://news.example/a", "query[data] → base64 → json.$url");
        var start = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await using (var writer = new FlowWriter(path, session, "hash", NullLogger<FlowWriter>.Instance))
        {
            for (var i = 0; i < flows; i++)
            {
                var data = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{{\"event\":\"$pageview\",\"properties\":{{\"$url\":\"https://news.example/article-{i}\",\"$device_id\":\"3f8a6b2c1d4e5f60\"}}}}"));
                var flow = SampleFlows.Https(start.AddMilliseconds(i), "sa.tracker.example", "/sa.gif", $"?project=p&data={Uri.EscapeDataString(data)}",
                    [new("User-Agent", "Mozilla/5.0 (Linux; Android 10; K)"), new("Cookie", "sensorsdata=abc")]) with
                {
                    ResponseBody = CapturedBody.From(new byte[64]),
                };
                await writer.WriteAsync(new FlowRecord(flow, i % 3 == 0 ? [finding] : [], [], KeepBodies: true));
            }
        }

        return flows / clock.Elapsed.TotalSeconds;
    }
}
