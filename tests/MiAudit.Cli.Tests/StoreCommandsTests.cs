using System.Text;
using System.Text.Json;
using CsvHelper;
using Microsoft.Extensions.Logging.Abstractions;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>The evidence commands (sessions, findings, export, import-har, scan, rules) as a researcher runs them.</summary>
public sealed class StoreCommandsTests : IAsyncLifetime
{
    private const string Page = "https://news.site-a.test/article-7?ref=home";
    private readonly TemporaryDirectory _dir = new("miaudit-store-cli");

    public async Task InitializeAsync()
    {
        // A database as `miaudit run` leaves it: a navigation (stored with --store all) and a leaking beacon.
        long session;
        using (var connection = AuditDatabase.Open(_dir.File("miaudit.db")))
        {
            session = new SessionStore(connection).Start("mi-browser normal", "test", "hash", null, null, DateTimeOffset.UtcNow);
        }

        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        var navigation = Flow(start, "news.site-a.test", "/article-7", "?ref=home", [new("Sec-Fetch-Mode", "navigate"), new("Sec-Fetch-Dest", "document")]);
        var data = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string> { ["$url"] = Page, ["$device_id"] = "3f8a6b2c1d4e5f60" })));
        var beacon = Flow(start.AddSeconds(1), "sa.tracker-b.test", "/sa.gif", $"?project=p&data={Uri.EscapeDataString(data)}&ext=crc%3D-1", []);
        await using var writer = new FlowWriter(_dir.File("miaudit.db"), session, "hash", NullLogger<FlowWriter>.Instance);
        await writer.WriteAsync(new FlowRecord(navigation, [], [], true));
        await writer.WriteAsync(new FlowRecord(beacon,
        [
            SampleFlows.Finding("visited-url-leak", Severity.High, "url-leak", Page, "query[data] → base64 → json.$url"),
            SampleFlows.Finding("device-identifier", Severity.High, "device-id", "3f8a6b2c1d4e5f60", "query[data] → base64 → json.$device_id"),
            SampleFlows.Finding("sensors-analytics-endpoint", Severity.Medium, "telemetry", "sa.tracker-b.test/sa.gif", "request-line"),
        ], [], true));
    }

    [Fact]
    public async Task Sessions_and_findings_print_readable_tables()
    {
        var sessions = await Miaudit("sessions");
        var findings = await Miaudit("findings", "--min-severity", "high");

        Assert.Contains("mi-browser normal", sessions.StdOut);
        Assert.Contains("visited-url-leak", findings.StdOut);
        Assert.Contains("device-identifier", findings.StdOut);
        Assert.DoesNotContain("sensors-analytics-endpoint", findings.StdOut);
        Assert.Contains("2 findings", findings.StdOut);
    }

    [Fact]
    public async Task Csv_export_to_a_file_parses_back_with_filters_and_masking()
    {
        var all = await Miaudit("export", "--format", "csv", "--out", _dir.File("all.csv"));
        var masked = await Miaudit("export", "--format", "csv", "--category", "device-id", "--mask", "--out", _dir.File("masked.csv"));

        Assert.Equal(0, all.ExitCode);
        Assert.Contains("Wrote 3 findings", all.StdErr);
        var rows = ReadCsv(_dir.File("all.csv"));
        Assert.Equal(3, rows.Count);
        Assert.Contains(rows, r => r["rule"] == "visited-url-leak" && r["value"] == Page && r["session"] == "mi-browser normal" && r["leaf_path"] == "query[data] → base64 → json.$url");
        Assert.Equal("3f8a********5f60", Assert.Single(ReadCsv(_dir.File("masked.csv")))["value"]);
    }

    [Fact]
    public async Task Jsonl_export_to_standard_output_has_one_object_per_line()
    {
        var (exitCode, stdout, _) = await Miaudit("export", "--format", "jsonl", "--since", "1h");

        Assert.Equal(0, exitCode);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.Equal("mi-browser normal", JsonDocument.Parse(line).RootElement.GetProperty("session").GetString()));
    }

    [Fact]
    public async Task A_har_export_imports_back_as_a_new_session_and_is_scanned()
    {
        Assert.Equal(0, (await Miaudit("export", "--format", "har", "--out", _dir.File("flows.har"))).ExitCode);
        File.WriteAllText(_dir.File("phone.yaml"), "identifiers:\n  android_id: 3f8a6b2c1d4e5f60\n");

        var import = await Miaudit("import-har", _dir.File("flows.har"), "--session-label", "re-imported", "--device-profile", _dir.File("phone.yaml"));
        var findings = await Miaudit("export", "--format", "jsonl", "--session", "re-imported");

        Assert.Equal(0, import.ExitCode);
        Assert.Contains("Imported 2 flows", import.StdOut);
        var rules = findings.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("rule").GetString()).ToList();
        Assert.Contains("visited-url-leak", rules);
        Assert.Contains("device-identifier", rules);
        Assert.Contains("sensors-analytics-endpoint", rules);
    }

    [Fact]
    public async Task Scan_without_options_uses_each_sessions_own_profile_and_rules_and_records_the_rule_set()
    {
        // Imported with a profile and a rule file; before, a scan without --device-profile dropped every
        // device-identifier finding and left the old rule-set hash in `sessions`.
        Assert.Equal(0, (await Miaudit("export", "--format", "har", "--out", _dir.File("own.har"))).ExitCode);
        File.WriteAllText(_dir.File("own-phone.yaml"), "identifiers:\n  android_id: 3f8a6b2c1d4e5f60\n");
        File.WriteAllText(_dir.File("own-rules.yaml"), "rules:\n  - id: beacon-path\n    kind: endpoint\n    title: beacon\n    category: telemetry\n    severity: low\n    match: {path: /sa.gif}\n");
        var import = await Miaudit("import-har", _dir.File("own.har"), "--session-label", "own-setup", "--device-profile", _dir.File("own-phone.yaml"), "--rules", _dir.File("own-rules.yaml"));
        Assert.Equal(0, import.ExitCode);
        File.Delete(_dir.File("own-phone.yaml")); // scan must not need the files any more
        File.Delete(_dir.File("own-rules.yaml"));
        var before = Rules(await Miaudit("export", "--format", "jsonl", "--session", "own-setup"));

        var scan = await Miaudit("scan", "--session", "own-setup");
        var after = Rules(await Miaudit("export", "--format", "jsonl", "--session", "own-setup"));

        Assert.True(scan.ExitCode == 0, scan.StdErr);
        Assert.Contains("device profile", scan.StdOut);
        Assert.Contains("1 rule file(s)", scan.StdOut);
        Assert.Contains("(as recorded)", scan.StdOut);
        Assert.Contains("device-identifier", after);
        Assert.Contains("beacon-path", after);
        Assert.Equal(before.Order(), after.Order());
    }

    [Fact]
    public async Task Scan_of_a_database_that_does_not_exist_says_so_and_creates_none()
    {
        // A mistyped --db used to become a new, empty database and "Scanned 0 flows", exit 0.
        var missing = _dir.File("typo.db");
        var scan = await Miaudit("scan", "--db", missing);
        var badWindow = await Miaudit("scan", "--visit-window", "-1");

        Assert.Equal(1, scan.ExitCode);
        Assert.StartsWith("miaudit: no database at", scan.StdErr.Trim());
        Assert.False(File.Exists(missing));
        Assert.Equal(2, badWindow.ExitCode);
        Assert.StartsWith("miaudit: --visit-window -1", badWindow.StdErr.Trim());
    }

    [Fact]
    public async Task A_second_session_with_the_same_label_is_refused()
    {
        Assert.Equal(0, (await Miaudit("export", "--format", "har", "--out", _dir.File("twice.har"))).ExitCode);

        var first = await Miaudit("import-har", _dir.File("twice.har"), "--session-label", "twice");
        var second = await Miaudit("import-har", _dir.File("twice.har"), "--session-label", "twice");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(2, second.ExitCode);
        Assert.StartsWith("miaudit: a session labelled 'twice' exists already", second.StdErr.Trim());
        Assert.Single((await Miaudit("sessions")).StdOut.Split('\n'), l => l.Contains("twice"));
    }

    private static List<string> Rules((int ExitCode, string StdOut, string StdErr) export) =>
        export.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("rule").GetString()!).ToList();

    [Fact]
    public async Task Scan_replaces_findings_with_those_of_the_current_rules()
    {
        File.WriteAllText(_dir.File("quiet.yaml"), "rules:\n  - id: visited-url-leak\n    kind: visited-url\n    title: off\n    category: url-leak\n    severity: high\n    enabled: false\n");

        var scan = await Miaudit("scan", "--rules", _dir.File("quiet.yaml"));
        var after = await Miaudit("export", "--format", "jsonl");

        Assert.Equal(0, scan.ExitCode);
        Assert.Contains("Scanned 2 flows", scan.StdOut);
        Assert.Contains("3 findings before", scan.StdOut);
        var rules = after.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("rule").GetString()).ToList();
        Assert.DoesNotContain("visited-url-leak", rules);
        Assert.Contains("sensors-analytics-endpoint", rules);
    }

    [Fact]
    public async Task Rules_can_be_listed_and_tested_and_bad_rule_files_name_file_and_line()
    {
        File.WriteAllText(_dir.File("bad.yaml"), "rules:\n  - id: x\n    kind: endpoint\n    title: t\n    category: c\n    severity: hgh\n    match: {path: /x}\n");
        var data = Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"$url\":\"{Page}\"}}")));

        var list = await Miaudit("rules", "list");
        var test = await Miaudit("rules", "test", "--url", $"https://sa.tracker-b.test/sa.gif?project=p&data={data}", "--visited", Page);
        var bad = await Miaudit("rules", "list", "--rules", _dir.File("bad.yaml"));

        Assert.Contains("sensors-analytics-endpoint", list.StdOut);
        Assert.Contains("visited-url-leak: " + Page, test.StdOut);
        Assert.Contains("at query[data] → base64 → json.$url", test.StdOut);
        Assert.Contains("in 1 request (after 1 visited page)", test.StdOut);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("bad.yaml:6:", bad.StdErr);
        Assert.Contains("unknown severity 'hgh'", bad.StdErr);
    }

    [Fact]
    public async Task The_url_leak_example_in_rules_test_help_shows_a_url_leak()
    {
        var help = await Miaudit("rules", "test", "--help");
        var example = help.StdOut.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("miaudit rules test --url", StringComparison.Ordinal) && l.Contains("--visited"));
        var arguments = System.Text.RegularExpressions.Regex.Matches(example, "'[^']*'|\\S+").Select(m => m.Value.Trim('\'')).Skip(1).ToArray();

        var run = await Miaudit(arguments);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("visited-url-leak: https://news.example.com/a", run.StdOut);
        Assert.Contains("1 request (after 1 visited page)", run.StdOut);
    }

    [Fact]
    public async Task Unknown_sessions_and_missing_databases_are_one_line_errors()
    {
        var unknown = await Miaudit("export", "--session", "no-such-session");
        var missing = await MiAuditProcess.RunAsync(_dir.Path, "findings", "--db", _dir.File("nope.db"));

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no session with id or label 'no-such-session'", unknown.StdErr);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no database", missing.StdErr);
    }

    [Fact]
    public async Task Report_picks_its_format_from_the_file_name_and_never_leaves_half_a_file()
    {
        var html = await Miaudit("report");
        var markdown = await Miaudit("report", "--out", _dir.File("paper.md"), "--unmask");
        var unwritable = await Miaudit("report", "--out", _dir.File("no-such-dir/report.html"));

        Assert.True(html.ExitCode == 0, html.StdErr);
        Assert.Contains("1 flagged flows, 3 findings", html.StdErr);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(_dir.File("miaudit-report.html")));
        Assert.True(markdown.ExitCode == 0, markdown.StdErr);
        Assert.Contains("| 3f8a6b2c1d4e5f60 |".Replace("| ", "| `").Replace(" |", "` |"), File.ReadAllText(_dir.File("paper.md")));
        Assert.Equal(1, unwritable.ExitCode);
        Assert.Contains("cannot write", unwritable.StdErr);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.partial", SearchOption.AllDirectories));
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private Task<(int ExitCode, string StdOut, string StdErr)> Miaudit(params string[] arguments) => MiAuditProcess.RunAsync(_dir.Path, arguments);

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        using var csv = CsvReader.FromText(File.ReadAllText(path), new CsvReaderOptions());
        var rows = new List<Dictionary<string, string>>();
        while (csv.Read())
        {
            rows.Add(csv.Headers.ToDictionary(h => h, h => csv.GetString(h)));
        }

        return rows;
    }

    private static Flow Flow(DateTimeOffset at, string host, string path, string query, HeaderField[] headers) =>
        SampleFlows.Https(at, host, path, query, [new("Host", host), .. headers]);
}
