using System.Globalization;
using CsvHelper;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging.Abstractions;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// <c>export --format parquet</c> read back by DuckDB, an independent reader: the same rows and values as the CSV
/// export, typed columns, and masking applied.
/// </summary>
public sealed class ParquetExportTests : IAsyncLifetime
{
    private const string AndroidId = "3f8a6b2c1d4e5f60";
    private const int Flows = 1200;
    private readonly TemporaryDirectory _dir = new("miaudit-parquet");
    private static readonly string[] Awkward = ["plain", "comma, \"quotes\"", "line\nbreak", "小米浏览器 ✓", "=HYPERLINK(\"x\")", ""];

    public async Task InitializeAsync()
    {
        using var store = AuditStores.Open(_dir.File("miaudit.db"));
        var start = new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero);
        foreach (var label in new[] { "normal", "incognito" })
        {
            var session = store.Sessions.Start(label, "test", "hash", $"identifiers:\n  android_id: {AndroidId}\n", null, start);
            await using var writer = store.FlowWriter(session, "hash", NullLogger<FlowWriter>.Instance);
            for (var i = 0; i < Flows / 2; i++)
            {
                var at = start.AddSeconds(i).AddMilliseconds(label == "normal" ? 0 : 500);
                var flow = SampleFlows.Https(at, $"t{i % 7}.tracker.test", "/sa.gif", $"?n={i}&aid={AndroidId}") with
                {
                    StatusCode = i % 10 == 0 ? null : 200,
                    CompletedAt = at.AddMilliseconds(40),
                };
                Finding[] findings = i % 3 == 0 ? [] :
                [
                    SampleFlows.Finding("device-identifier", Severity.High, "device-id", AndroidId, "query[aid]"),
                    SampleFlows.Finding("visited-url-leak", (Severity)(i % 5), "url-leak", Awkward[i / 3 % Awkward.Length], "query[n] → base64 → json.$url"),
                ];
                await writer.WriteAsync(new FlowRecord(flow, findings, [], KeepBodies: true));
            }
        }
    }

    [Fact]
    public async Task Findings_and_flows_read_back_in_DuckDB_as_the_csv_export_has_them()
    {
        await Miaudit("export", "--format", "csv", "--out", _dir.File("all.csv"));
        var wrote = await Miaudit("export", "--format", "parquet", "--out", _dir.File("study"));
        Assert.Contains("Wrote 1,600 findings", wrote);
        Assert.Contains("and 1,200 flows", wrote);

        var csv = new List<Dictionary<string, string>>();
        using (var parser = CsvReader.FromText(await File.ReadAllTextAsync(_dir.File("all.csv")), new CsvReaderOptions()))
        {
            while (parser.Read())
            {
                csv.Add(parser.Headers.ToDictionary(h => h, h => parser.GetString(h)));
            }
        }

        using var duck = new DuckDBConnection("Data Source=:memory:");
        duck.Open();
        var findings = _dir.File("study/findings.parquet");
        var rows = DbRows.Query(duck, $"SELECT time, session, url, host, status, rule, severity, category, value, leaf_path, transforms, flow_id FROM '{findings}' ORDER BY time, flow_id, finding_id");
        Assert.Equal(csv.Count, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var (row, expected) = (rows[i], csv[i]);
            Assert.Equal(expected["time"], ((DateTime)row[0]!).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            Assert.Equal(expected["session"], row[1]);
            Assert.Equal(expected["url"], row[2]);
            Assert.Equal(expected["host"], row[3]);
            Assert.Equal(expected["status"], row[4]?.ToString() ?? "");
            Assert.Equal(expected["rule"], row[5]);
            Assert.Equal(expected["severity"], ((Severity)(int)row[6]!).ToName());
            Assert.Equal(expected["category"], row[7]);
            Assert.Equal(expected["value"].TrimStart('\''), ((string)row[8]!).TrimStart('\''));
            Assert.Equal(expected["leaf_path"], row[9]);
            Assert.Equal(expected["transforms"], row[10]);
            Assert.Equal(expected["flow_id"], row[11]!.ToString());
        }

        Assert.Equal(["TIMESTAMP WITH TIME ZONE", "INTEGER", "INTEGER", "BIGINT"],
            DbRows.Query(duck, $"SELECT typeof(time), typeof(severity), typeof(status), typeof(flow_id) FROM '{findings}' LIMIT 1")[0].Select(v => (string)v!));
        Assert.Equal(Awkward.Length, (long)DbRows.Query(duck, $"SELECT COUNT(DISTINCT value) FROM '{findings}' WHERE category = 'url-leak'")[0][0]!);

        var flows = _dir.File("study/flows.parquet");
        Assert.Equal((long)Flows, DbRows.Query(duck, $"SELECT COUNT(*) FROM '{flows}'")[0][0]);
        Assert.Equal(Flows / 10, (long)DbRows.Query(duck, $"SELECT COUNT(*) FROM '{flows}' WHERE status IS NULL")[0][0]!);
        Assert.Equal(csv.Count, Convert.ToInt64(DbRows.Query(duck, $"SELECT SUM(findings)::BIGINT FROM '{flows}'")[0][0], CultureInfo.InvariantCulture));
        Assert.Equal(2L, DbRows.Query(duck, $"SELECT COUNT(DISTINCT session) FROM '{flows}'")[0][0]);
    }

    [Fact]
    public async Task A_masked_parquet_export_holds_no_identifier_in_any_column()
    {
        await Miaudit("export", "--format", "parquet", "--mask", "--out", _dir.File("masked"));

        using var duck = new DuckDBConnection("Data Source=:memory:");
        duck.Open();
        foreach (var file in new[] { "findings.parquet", "flows.parquet" })
        {
            var path = _dir.File($"masked/{file}");
            var hits = DbRows.Query(duck, $"SELECT COUNT(*) FROM '{path}' AS t WHERE CAST(t AS VARCHAR) LIKE '%{AndroidId}%'")[0][0];
            Assert.Equal(0L, hits);
            Assert.True((long)DbRows.Query(duck, $"SELECT COUNT(*) FROM '{path}'")[0][0]! > 0);
        }
    }

    [Fact]
    public async Task Parquet_needs_a_directory_not_standard_output()
    {
        var (exitCode, _, stderr) = await MiAuditProcess.RunAsync(_dir.Path, "export", "--format", "parquet");
        Assert.Equal(2, exitCode);
        Assert.Contains("give --out a directory", stderr);
    }

    private async Task<string> Miaudit(params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(_dir.Path, arguments);
        Assert.True(exitCode == 0, $"miaudit {string.Join(' ', arguments)}: {exitCode}\n{stdout}{stderr}");
        return stdout + stderr;
    }


    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
