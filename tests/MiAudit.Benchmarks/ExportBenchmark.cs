using System.Diagnostics;
using System.Text;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Reporting;
using MiAudit.Reporting.Html;
using MiAudit.Storage;
using MiAudit.Storage.Export;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Benchmarks;

/// <summary>
/// Export of 1,000,000 findings (250,000 flows × 4) to CSV, JSON Lines and Parquet (findings.parquet): wall time and peak memory, measured on a
/// database built for the purpose in a temporary folder.
/// </summary>
public static class ExportBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var findings = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var directory = Directory.CreateTempSubdirectory("miaudit-export-bench").FullName;
        try
        {
            var database = Path.Combine(directory, "bench.db");
            var clock = Stopwatch.StartNew();
            Fill(database, findings);
            Console.WriteLine($"Built a database of {findings:N0} findings in {clock.Elapsed.TotalSeconds:N1} s ({new FileInfo(database).Length / (1 << 20):N0} MiB)");

            clock.Restart();
            using (var connection = AuditDatabase.Open(database, readOnly: true))
            {
                var count = new AuditQueries(connection).Findings(new FindingFilter()).Count();
                Console.WriteLine($"reading alone: {count:N0} findings in {clock.Elapsed.TotalSeconds:N2} s");
            }

            var seconds = new Dictionary<string, double>();
            foreach (var format in new[] { "csv", "jsonl", "parquet" })
            {
                GC.Collect();
                var baseline = Process.GetCurrentProcess().WorkingSet64;
                var peak = new PeakMemory();
                clock.Restart();
                long rows;
                using (var connection = AuditDatabase.Open(database, readOnly: true))
                await using (var output = new FileStream(Path.Combine(directory, "out." + format), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    var all = new AuditQueries(connection).Findings(new FindingFilter());
                    if (format == "csv")
                    {
                        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16);
                        rows = CsvExporter.Write(all, writer, _ => peak.Sample());
                    }
                    else if (format == "parquet")
                    {
                        // Samples once per row group (64k rows), where the buffered columns are at their largest.
                        rows = Storage.Export.Parquet.ParquetExporter.WriteFindings(all, output, _ => peak.Sample());
                    }
                    else
                    {
                        rows = JsonlExporter.Write(all, output, _ => peak.Sample());
                    }
                }

                Console.WriteLine($"{format}: {rows:N0} findings in {clock.Elapsed.TotalSeconds:N2} s; working set {baseline / (1 << 20):N0} MiB before, peak {peak.Max / (1 << 20):N0} MiB during; file {new FileInfo(Path.Combine(directory, "out." + format)).Length / (1 << 20):N0} MiB");
                seconds[format] = clock.Elapsed.TotalSeconds;
            }

            WriteReport(database, Path.Combine(directory, "report.html"), seconds["csv"]);

            return 0;
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("KEEP_EXPORT_DB") is null)
            {
                Directory.Delete(directory, recursive: true);
            }
            else
            {
                Console.WriteLine($"kept {directory}");
            }
        }
    }

    /// <summary>The HTML report of the same database: one pass over every finding, like the CSV export it is compared with.</summary>
    private static void WriteReport(string database, string path, double csvSeconds)
    {
        GC.Collect();
        var peak = new PeakMemory();
        using var sampler = new Timer(_ => peak.Sample(), null, 0, 50);
        var clock = Stopwatch.StartNew();
        using (var store = AuditStores.Open(database, readOnly: true))
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16))
        {
            var report = new AuditReportBuilder(store, new ReportOptions()).Build("bench", DateTimeOffset.UtcNow);
            HtmlReportWriter.Write(report, writer);
        }

        peak.Sample();
        Console.WriteLine($"html report: {clock.Elapsed.TotalSeconds:N2} s ({clock.Elapsed.TotalSeconds / csvSeconds:N2}× the csv export); peak working set {peak.Max / (1 << 20):N0} MiB; file {new FileInfo(path).Length / 1024:N0} KiB");
    }

    private static void Fill(string database, int findings)
    {
        using var connection = AuditDatabase.Open(database);
        var session = new SessionStore(connection).Start("export benchmark", "bench", "hash", null, null, DateTimeOffset.UtcNow);
        using var writer = new BatchWriter(connection, "hash");
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        for (var i = 0; i < findings / 4; i++)
        {
            var flow = new Flow
            {
                StartedAt = start.AddMilliseconds(i * 50),
                CompletedAt = start.AddMilliseconds(i * 50 + 20),
                ClientAddress = "192.168.1.50",
                Transport = FlowTransport.InterceptedTls,
                HttpVersion = "HTTP/2",
                Method = "POST",
                Scheme = "https",
                Host = "sa.api.intl.miui.com",
                Port = 443,
                Path = "/sa",
                Query = "?project=global_browser_mini&r=IN",
                RequestHeaders = [new("Host", "sa.api.intl.miui.com"), new("Content-Type", "application/x-www-form-urlencoded")],
                StatusCode = 200,
            };
            writer.Insert(session, new FlowRecord(flow,
            [
                SampleFlows.Finding("visited-url-leak", Severity.High, "url-leak", $"https://news.example.com/article-{i}?ref=home", "body.form[data_list] → base64 → gzip → json[0].properties.url → base64"),
                SampleFlows.Finding("device-identifier", Severity.High, "device-id", "3f8a6b2c1d4e5f60", "body.form[data_list] → base64 → gzip → json[0].properties.$device_id"),
                SampleFlows.Finding("sensors-analytics-endpoint", Severity.Medium, "telemetry", "sa.api.intl.miui.com/sa", "request-line"),
                SampleFlows.Finding("device-attribute", Severity.Low, "fingerprint", "Redmi Note 8 Pro", "body.form[data_list] → base64 → gzip → json[0].properties.$model"),
            ], [], KeepBodies: false));
        }
    }

    private sealed class PeakMemory
    {
        private readonly Process _process = Process.GetCurrentProcess();

        public long Max { get; private set; }

        public void Sample()
        {
            _process.Refresh();
            Max = Math.Max(Max, _process.WorkingSet64);
        }
    }
}
