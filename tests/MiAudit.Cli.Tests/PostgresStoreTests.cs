using System.Globalization;
using MiAudit.Testing;
using Npgsql;

namespace MiAudit.Cli.Tests;

/// <summary>
/// The real <c>miaudit</c> process against a real PostgreSQL server: every command, several proxies writing one
/// database at once, the server unreachable or lost mid-run, and the password never shown.
/// </summary>
public sealed class PostgresStoreTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    private static int _databases;

    [Fact]
    public async Task Every_command_works_against_PostgreSQL_and_nothing_it_prints_or_writes_holds_the_password()
    {
        var cluster = await PostgresCluster.Shared;
        var url = cluster.Url(await NewDatabaseAsync(cluster));
        var dir = env.PhoneDirectory("pg-commands");
        var environment = new Dictionary<string, string> { ["MIAUDIT_DB"] = url };
        await using (var proxy = await env.StartProxyAsync(dir, null, environment, "--session-label", "pg phone", "--log-dir", Path.Combine(dir, "logs"),
            "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            await env.BrowseAndLeakAsync(client);
            Assert.Equal(0, await proxy.Process.StopAsync());
            Assert.Contains("visited-url-leak: ", proxy.Process.Output);
            Assert.Contains($"postgresql://postgres@127.0.0.1:{cluster.Port}/", proxy.Process.Output); // where it went, without the password
            Assert.DoesNotContain(cluster.Password, proxy.Process.Output);
        }

        async Task<string> Miaudit(params string[] arguments)
        {
            var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(dir, environment, arguments);
            Assert.True(exitCode == 0, $"miaudit {string.Join(' ', arguments)} exited {exitCode}:\n{stdout}{stderr}");
            Assert.DoesNotContain(cluster.Password, stdout + stderr);
            return stdout;
        }

        Assert.Contains("pg phone", await Miaudit("sessions"));
        Assert.Contains(CliEnvironment.AndroidId, await Miaudit("findings", "--min-severity", "high"));
        await Miaudit("export", "--format", "csv", "--out", Path.Combine(dir, "all.csv"));
        await Miaudit("export", "--format", "csv", "--mask", "--out", Path.Combine(dir, "masked.csv"));
        var jsonl = await Miaudit("export", "--format", "jsonl", "--host", "*.tracker-b.test");
        await Miaudit("export", "--format", "har", "--out", Path.Combine(dir, "flows.har"));
        await Miaudit("report", "--out", Path.Combine(dir, "report.html"));
        var scan = await Miaudit("scan", "--session", "pg phone");
        var import = await Miaudit("import-har", Path.Combine(dir, "flows.har"), "--session-label", "re-imported", "--device-profile", Path.Combine(dir, "phone.yaml"));

        var csv = await File.ReadAllLinesAsync(Path.Combine(dir, "all.csv"));
        Assert.Equal(jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, csv.Length - 1);
        Assert.Contains(csv, line => line.Contains("visited-url-leak") && line.Contains("sa.tracker-b.test"));
        Assert.DoesNotContain(CliEnvironment.AndroidId, await File.ReadAllTextAsync(Path.Combine(dir, "masked.csv")));
        Assert.DoesNotContain(CliEnvironment.AndroidId, await File.ReadAllTextAsync(Path.Combine(dir, "report.html")));
        Assert.Matches(@"Scanned 2 flows in 1 session\(s\)", scan);
        Assert.Matches(@"Imported 2 flows .*; [1-9]\d* findings", import);
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(cluster.Password, await File.ReadAllTextAsync(file));
        }

        Assert.Equal(csv.Length - 1, Scalar(cluster, url, "SELECT COUNT(*) FROM findings x JOIN flows f ON f.id = x.flow_id JOIN sessions s ON s.id = f.session_id WHERE s.label = 'pg phone'"));
        Assert.Equal(1, Scalar(cluster, url, "SELECT COUNT(*) FROM sessions WHERE label = 'pg phone' AND ended_at IS NOT NULL"));
    }

    [Fact]
    public async Task Several_proxies_write_into_one_database_at_once_each_its_own_session_with_no_row_lost_or_doubled()
    {
        const int Proxies = 3, Phones = 4, Requests = 40;
        var cluster = await PostgresCluster.Shared;
        var url = cluster.Url(await NewDatabaseAsync(cluster));
        var proxies = await Task.WhenAll(Enumerable.Range(0, Proxies).Select(p =>
            env.StartProxyAsync(env.PhoneDirectory($"pg-lab-{p}"), "--db", url, "--store", "all", "--session-label", $"lab {p}", "--quiet")));
        try
        {
            await Task.WhenAll(proxies.SelectMany((proxy, p) => Enumerable.Range(0, Phones).Select(async phone =>
            {
                using var client = proxy.CreateClient(maxConnections: 2);
                for (var i = 0; i < Requests; i++)
                {
                    (await client.GetAsync(env.Https(TlsOrigin.HostName, $"/echo/lab?proxy={p}&phone={phone}&n={i}"))).EnsureSuccessStatusCode();
                }
            })));
            foreach (var proxy in proxies)
            {
                Assert.Equal(0, await proxy.Process.StopAsync());
            }
        }
        finally
        {
            foreach (var proxy in proxies)
            {
                await proxy.DisposeAsync();
            }
        }

        for (var p = 0; p < Proxies; p++)
        {
            Assert.Equal(Phones * Requests, Scalar(cluster, url, $"SELECT COUNT(*) FROM flows f JOIN sessions s ON s.id = f.session_id WHERE s.label = 'lab {p}'"));
            Assert.Equal(Phones * Requests, Scalar(cluster, url, $"SELECT COUNT(DISTINCT f.query) FROM flows f JOIN sessions s ON s.id = f.session_id WHERE s.label = 'lab {p}' AND f.query LIKE '%proxy={p}&%'"));
        }

        Assert.Equal(Proxies * Phones * Requests, Scalar(cluster, url, "SELECT COUNT(DISTINCT uid) FROM flows"));
    }

    [Fact]
    public async Task An_unreachable_server_is_one_clear_line_and_exit_1_without_the_password()
    {
        var dir = env.PhoneDirectory("pg-unreachable");
        int closedPort;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var url = $"postgresql://auditor:s3cr3t-pw@127.0.0.1:{closedPort}/lab";
        foreach (var arguments in new[] { new[] { "run", "--listen", "127.0.0.1:0", "--db", url }, ["sessions", "--db", url], ["export", "--db", url] })
        {
            var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(dir, arguments);
            Assert.True(exitCode == 1, $"{arguments[0]}: exit {exitCode}\n{stdout}{stderr}");
            var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"cannot connect to PostgreSQL at postgresql://auditor@127.0.0.1:{closedPort}/lab", line);
            Assert.DoesNotContain("s3cr3t-pw", stdout + stderr);
        }

        var wrongPassword = (await PostgresCluster.Shared).Url("postgres").Replace("@127.0.0.1", "x@127.0.0.1", StringComparison.Ordinal);
        var refused = await MiAuditProcess.RunAsync(dir, "sessions", "--db", wrongPassword);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("password authentication failed", refused.StdErr);
    }

    [Fact]
    public async Task A_server_lost_during_a_run_sends_flows_to_a_spill_file_and_they_move_back_when_it_returns()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var url = cluster.Url(await NewDatabaseAsync(cluster));
        var dir = env.PhoneDirectory("pg-lost");
        await using var proxy = await env.StartProxyAsync(dir, "--db", url, "--store", "all");
        using var client = proxy.CreateClient();
        async Task Send(string phase, int count)
        {
            for (var i = 0; i < count; i++)
            {
                (await client.GetAsync(env.Https(TlsOrigin.HostName, $"/echo/{phase}?n={i}"))).EnsureSuccessStatusCode();
            }
        }

        await Send("before", 5);
        await EventuallyAsync(() => Scalar(cluster, url, "SELECT COUNT(*) FROM flows") == 5);
        await cluster.StopServerAsync();
        await Send("during", 10);
        await proxy.Process.WaitForOutputAsync("refuses writes");
        Assert.NotEmpty(Directory.GetFiles(dir, "*.spill-*.db"));
        await cluster.StartServerAsync();
        await proxy.Process.WaitForOutputAsync("accepts writes again", TimeSpan.FromSeconds(60));
        await Send("after", 5);
        Assert.Equal(0, await proxy.Process.StopAsync());

        var output = proxy.Process.Output;
        Assert.True(Scalar(cluster, url, "SELECT COUNT(*) FROM flows WHERE path = '/echo/during'") == 10, output);
        Assert.True(Scalar(cluster, url, "SELECT COUNT(*) FROM flows") == 20, output);
        Assert.True(Scalar(cluster, url, "SELECT COUNT(DISTINCT uid) FROM flows") == 20, output);
        Assert.Contains("20 written", output);
        Assert.Empty(Directory.GetFiles(dir, "*.spill-*"));
        Assert.DoesNotContain(cluster.Password, output);
    }

    private static async Task<string> NewDatabaseAsync(PostgresCluster cluster) =>
        await cluster.CreateDatabaseAsync($"cli_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}");

    private static long Scalar(PostgresCluster cluster, string url, string sql)
    {
        using var connection = new NpgsqlConnection(cluster.ConnectionString(url[(url.LastIndexOf('/') + 1)..]));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(100);
        }
    }
}
