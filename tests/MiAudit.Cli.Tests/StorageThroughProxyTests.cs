using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MiAudit.Storage;
using MiAudit.Storage.Reading;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>Flows through the real proxy process end up in SQLite with their findings, and stay there.</summary>
[Collection(TimingSensitive.Name)]
public class StorageThroughProxyTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task Flagged_flows_are_stored_with_their_findings_under_the_session_label()
    {
        var dir = env.PhoneDirectory("flagged");
        await using (var proxy = await env.StartProxyAsync(dir, "--session-label", "mi-browser normal", "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            await env.BrowseAndLeakAsync(client);
            Assert.Equal(0, await proxy.Process.StopAsync());
            Assert.Contains("HIGH", proxy.Process.Output); // the live view showed the leak
            Assert.Contains("visited-url-leak: ", proxy.Process.Output);
        }

        using var db = AuditDatabase.Open(Path.Combine(dir, "miaudit.db"), readOnly: true);
        var session = Assert.Single(new SessionStore(db).List());
        Assert.Equal("mi-browser normal", session.Label);
        Assert.NotNull(session.EndedAt);
        var flows = new AuditQueries(db).Flows(new FindingFilter()).ToList();
        Assert.Equal(2, flows.Count);

        // The navigation the leak names is kept too, without its page (a rescan learns the visit from it).
        var navigation = flows.Single(f => f.Flow.Host == CliEnvironment.NewsHost);
        Assert.Empty(navigation.Findings);
        Assert.True(navigation.Flow.ResponseBody.Bytes.IsEmpty);
        var stored = flows.Single(f => f.Flow.Host == CliEnvironment.TrackerHost);
        Assert.Contains(stored.Findings, f => f.RuleId == "visited-url-leak" && f.LeafPath == "query[data] → base64 → json.properties.$url");
        Assert.Contains(stored.Findings, f => f.RuleId == "device-identifier" && f.Value == CliEnvironment.AndroidId);
        Assert.Contains(stored.Findings, f => f.RuleId == "sensors-analytics-endpoint");
        Assert.False(stored.Flow.ResponseBody.Bytes.IsEmpty);
    }

    [Fact]
    public async Task Quiet_live_view_prints_the_summary_but_no_line_per_finding_and_still_stores_everything()
    {
        var dir = env.PhoneDirectory("quiet");
        await using (var proxy = await env.StartProxyAsync(dir, "--quiet", "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            await env.BrowseAndLeakAsync(client);
            Assert.Equal(0, await proxy.Process.StopAsync());
            Assert.DoesNotContain("visited-url-leak:", proxy.Process.Output);
            Assert.Matches(@"\d+ flows seen, 1 flagged \(.*url-leak 1", proxy.Process.Output);
        }

        using var db = AuditDatabase.Open(Path.Combine(dir, "miaudit.db"), readOnly: true);
        Assert.Contains(new AuditQueries(db).Flows(new FindingFilter()).SelectMany(f => f.Findings), f => f.RuleId == "visited-url-leak");
    }

    [Fact]
    public async Task The_summary_line_comes_every_10_seconds_idle_or_not()
    {
        var dir = env.PhoneDirectory("summary");
        await using var proxy = await env.StartProxyAsync(dir, "--quiet");

        await proxy.Process.WaitForOutputAsync("0 flows seen, 0 flagged", TimeSpan.FromSeconds(60)); // idle: nothing sent yet
        using var client = proxy.CreateClient();
        (await client.GetAsync(env.Https(CliEnvironment.NewsHost, "/html/summary"))).EnsureSuccessStatusCode();
        await proxy.Process.WaitForOutputAsync("1 flows seen, 0 flagged", TimeSpan.FromSeconds(60)); // the next line, unprompted

        Assert.Equal(0, await proxy.Process.StopAsync());
    }

    [Fact]
    public async Task Store_all_keeps_unflagged_flows_and_redacted_headers_are_masked()
    {
        var dir = env.PhoneDirectory("all");
        await using (var proxy = await env.StartProxyAsync(dir, "--store", "all", "--redact-headers", "cookie,x-secret", "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            await env.BrowseAndLeakAsync(client);
            Assert.Equal(0, await proxy.Process.StopAsync());
        }

        using var db = AuditDatabase.Open(Path.Combine(dir, "miaudit.db"), readOnly: true);
        var flows = new AuditQueries(db).Flows(new FindingFilter()).ToList();
        Assert.Equal(3, flows.Count);
        var navigation = flows.Single(f => f.Flow.Path == "/html/article-7");
        Assert.Empty(navigation.Findings);
        Assert.True(navigation.Flow.ResponseBody.Bytes.IsEmpty, "unflagged bodies are not kept unless asked");
        Assert.All(flows.SelectMany(f => f.Flow.RequestHeaders).Where(h => h.Name is "Cookie" or "X-Secret"), h => Assert.Equal("[redacted]", h.Value));
        Assert.Contains(flows.SelectMany(f => f.Flow.RequestHeaders), h => h.Name == "Cookie");
    }

    [Fact]
    public async Task A_killed_proxy_loses_no_flow_answered_a_second_before_the_kill()
    {
        await KillUnderLoadAsync("kill", TimeSpan.FromSeconds(3), (client, n) => client.GetAsync(env.Https(TlsOrigin.HostName, $"/echo/load?n={n}")));
    }

    [Fact]
    public async Task A_killed_proxy_loses_no_flow_answered_a_second_before_the_kill_while_detection_lags_behind_heavy_posts()
    {
        await KillUnderLoadAsync("kill-posts", TimeSpan.FromSeconds(5), HeavyPost);
    }

    [Fact]
    public async Task A_killed_proxy_writing_to_PostgreSQL_loses_no_flow_answered_a_second_before_the_kill()
    {
        var cluster = await PostgresCluster.Shared;
        var url = cluster.Url(await cluster.CreateDatabaseAsync($"kill_{Environment.ProcessId}"));
        await KillUnderLoadAsync("kill-postgres", TimeSpan.FromSeconds(5), HeavyPost, url);
    }

    // About 200 KiB of telemetry events per body, each holding the profile's Android ID: detection is slower than the
    // proxy, so flows queue up behind it.
    private static readonly string HeavyEvents = string.Join(",", Enumerable.Range(0, 700).Select(i =>
        $$$"""{"event":"$pageview","properties":{"$url":"https://news.site-a.test/a/{{{i}}}?ref=r{{{i}}}","$title":"Article {{{i}}}","$device_id":"{{{CliEnvironment.AndroidId}}}","t":"{{{Convert.ToBase64String(Encoding.UTF8.GetBytes($"slot {i}"))}}}"}}"""));

    private Task<HttpResponseMessage> HeavyPost(HttpClient client, int n) =>
        client.PostAsync(env.Https(TlsOrigin.HostName, $"/echo/load?n={n}"), new StringContent($$"""{"n":{{n}},"events":[{{HeavyEvents}}]}""", Encoding.UTF8, "application/json"));

    /// <param name="postgresUrl">Store into this PostgreSQL database instead of the SQLite file.</param>
    private async Task KillUnderLoadAsync(string name, TimeSpan loadFor, Func<HttpClient, int, Task<HttpResponseMessage>> send, string? postgresUrl = null)
    {
        var dir = env.PhoneDirectory(name);
        var answered = new ConcurrentDictionary<int, long>();
        string[] store = postgresUrl is null ? [] : ["--db", postgresUrl];
        await using var proxy = await env.StartProxyAsync(dir, ["--store", "all", "--device-profile", Path.Combine(dir, "phone.yaml"), .. store]);
        using var client = proxy.CreateClient();
        var clock = Stopwatch.StartNew();
        var next = 0;
        var killed = 0;
        var load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref killed) == 0)
            {
                var n = Interlocked.Increment(ref next);
                try
                {
                    using var response = await send(client, n);
                    answered[n] = clock.ElapsedMilliseconds;
                }
                catch (HttpRequestException)
                {
                    return; // the proxy is gone
                }
            }
        })).ToArray();

        await Task.Delay(loadFor);
        var killedAt = clock.ElapsedMilliseconds;
        proxy.Process.Signal(MiAuditProcess.SigKill);
        Volatile.Write(ref killed, 1);
        await proxy.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(load);

        var mustBeStored = answered.Where(a => a.Value < killedAt - 1000).Select(a => a.Key).ToHashSet();
        Assert.True(mustBeStored.Count > 50, $"only {mustBeStored.Count} requests answered before the kill");

        DbConnection Connect() => postgresUrl is null
            ? new SqliteConnection($"Data Source={Path.Combine(dir, "miaudit.db")};Pooling=False")
            : new Npgsql.NpgsqlConnection(StoreAddress.Parse(postgresUrl).ConnectionString);
        using (var db = Connect())
        {
            db.Open();
            if (postgresUrl is null)
            {
                Assert.Equal("ok", Scalar(db, "PRAGMA integrity_check;"));
            }

            var lost = mustBeStored.Except(StoredRequestNumbers(db)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {mustBeStored.Count} flows answered a second before the kill are not stored");
        }

        // Flows stored before detection reached them are analysed by scan: afterwards none is pending.
        var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(dir, ["scan", "--device-profile", Path.Combine(dir, "phone.yaml"), .. store]);
        Assert.True(exitCode == 0, stdout + stderr);
        using var scanned = Connect();
        scanned.Open();
        Assert.Equal(0L, Convert.ToInt64(Scalar(scanned, "SELECT COUNT(*) FROM flows WHERE analysis_pending = 1;"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_graceful_stop_under_load_stores_every_answered_flow()
    {
        var dir = env.PhoneDirectory("graceful");
        var answered = new ConcurrentBag<int>();
        await using var proxy = await env.StartProxyAsync(dir, "--store", "all");
        using var client = proxy.CreateClient();
        var next = 0;
        var stopping = false;
        var load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!Volatile.Read(ref stopping))
            {
                var n = Interlocked.Increment(ref next);
                try
                {
                    using var response = await client.GetAsync(env.Https(TlsOrigin.HostName, $"/echo/load?n={n}"));
                    if (response.IsSuccessStatusCode)
                    {
                        answered.Add(n);
                    }
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(2));
        proxy.Process.Signal(MiAuditProcess.SigTerm);
        Volatile.Write(ref stopping, true);
        Assert.Equal(0, await proxy.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await Task.WhenAll(load);

        using var db = AuditDatabase.Open(Path.Combine(dir, "miaudit.db"), readOnly: true);
        Assert.Empty(answered.Except(StoredRequestNumbers(db)));
        Assert.Contains("Stopped:", proxy.Process.Output);
        Assert.DoesNotContain("NOT written", proxy.Process.Output);
    }

    private static HashSet<int> StoredRequestNumbers(DbConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT query FROM flows WHERE path = '/echo/load';";
        using var reader = command.ExecuteReader();
        var numbers = new HashSet<int>();
        while (reader.Read())
        {
            numbers.Add(int.Parse(reader.GetString(0)["?n=".Length..], System.Globalization.CultureInfo.InvariantCulture));
        }

        return numbers;
    }

    private static object? Scalar(DbConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
