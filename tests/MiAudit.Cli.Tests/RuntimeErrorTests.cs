using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// Runtime failures through the real binary: exit 1 and one line starting <c>miaudit:</c>, no stack trace, and other
/// programs' files left as they were.
/// </summary>
public sealed class RuntimeErrorTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new("miaudit-runtime-errors");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string[]> CommandsOnADatabase => new()
    {
        new[] { "run", "--listen", "127.0.0.1:0" },
        new[] { "import-har", "HAR", "--session-label", "x" },
        new[] { "findings" },
        new[] { "export", "--format", "csv" },
        new[] { "sessions" },
        new[] { "scan" },
    };

    [Theory]
    [MemberData(nameof(CommandsOnADatabase))]
    public async Task Another_programs_sqlite_file_is_refused_and_left_untouched(string[] command)
    {
        var foreign = _dir.File($"contacts-{command[0]}.db");
        Sql(foreign, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Alice');");
        var marked = _dir.File($"marked-{command[0]}.db");
        Sql(marked, "PRAGMA application_id = 1234;");
        var har = WriteEmptyHar();
        var args = command.Select(a => a == "HAR" ? har : a).ToArray();

        foreach (var db in new[] { foreign, marked })
        {
            var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(_dir.Path, [.. args, "--db", db]);

            Assert.Equal(1, exitCode);
            var line = OneErrorLine(stdout, stderr);
            Assert.Contains("is not a MiAudit database", line);
        }

        Assert.Equal("contacts", Sql(foreign, "SELECT group_concat(name) FROM sqlite_schema;"));
        Assert.Equal("Alice", Sql(foreign, "SELECT name FROM contacts;"));
        Assert.Equal("", Sql(marked, "SELECT group_concat(name) FROM sqlite_schema;"));
    }

    [Fact]
    public async Task A_miaudit_database_is_marked_as_such()
    {
        var (exitCode, _, stderr) = await MiAuditProcess.RunAsync(_dir.Path, "import-har", WriteEmptyHar(), "--session-label", "x", "--db", _dir.File("new.db"));

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("1298743669", Sql(_dir.File("new.db"), "PRAGMA application_id;")); // "MiAu"
    }

    [Theory]
    [InlineData("/nonexistent-miaudit/f.csv", "does not exist")]
    [InlineData("/tmp", "is a directory")]
    public async Task An_export_that_cannot_be_written_is_one_line(string path, string reason)
    {
        await MiAuditProcess.RunAsync(_dir.Path, "import-har", WriteEmptyHar(), "--session-label", "x");

        foreach (var command in new[] { new[] { "export", "--out", path }, ["report", "--out", path] })
        {
            var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(_dir.Path, command);

            Assert.Equal(1, exitCode);
            Assert.Contains(reason, OneErrorLine(stdout, stderr));
        }
    }

    [Fact]
    public async Task A_busy_port_is_one_line_and_leaves_no_session()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(_dir.Path, "run", "--listen", $"127.0.0.1:{port}");

        Assert.Equal(1, exitCode);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", OneErrorLine(stdout, stderr));
        Assert.Equal("0", Sql(_dir.File("miaudit.db"), "SELECT COUNT(*) FROM sessions;"));
    }

    [Fact]
    public async Task Ca_show_does_not_create_a_ca_and_an_impossible_certs_dir_says_so()
    {
        var missing = _dir.File("no/such/certs");

        var show = await MiAuditProcess.RunAsync(_dir.Path, "ca", "show", "--certs-dir", missing);
        var impossible = await MiAuditProcess.RunAsync(_dir.Path, "ca", "export", "--certs-dir", "/proc/miaudit-certs");

        Assert.Equal(1, show.ExitCode);
        Assert.Contains("no MiAudit CA in", OneErrorLine(show.StdOut, show.StdErr));
        Assert.False(Directory.Exists(missing));
        Assert.Equal(1, impossible.ExitCode);
        Assert.Contains("cannot create the CA in /proc/miaudit-certs", OneErrorLine(impossible.StdOut, impossible.StdErr));
    }

    [Theory]
    [InlineData("a-file", "it is a file")]
    [InlineData("/proc/miaudit-logs", "")]
    public async Task A_log_dir_that_cannot_be_written_is_a_warning_and_the_proxy_runs(string logDir, string reason)
    {
        var path = logDir.StartsWith('/') ? logDir : _dir.File(logDir);
        if (!path.StartsWith("/proc", StringComparison.Ordinal))
        {
            File.WriteAllText(path, "not a folder");
        }

        await using var proxy = MiAuditProcess.Start(_dir.Path, ["run", "--listen", "127.0.0.1:0", "--log-dir", path]);
        await proxy.WaitForListeningAsync();
        await proxy.WaitForOutputAsync($"No log file: {path} cannot be written ({reason}");

        Assert.Equal(0, await proxy.StopAsync());
        Assert.DoesNotContain("   at ", proxy.Output);
    }

    /// <summary>The one line of the failure; what else a command printed before it (its banner) is not an error.</summary>
    private static string OneErrorLine(string stdout, string stderr)
    {
        var all = stdout + stderr;
        Assert.DoesNotContain("   at ", all); // no stack trace
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("miaudit:", StringComparison.Ordinal)).ToList();
        return Assert.Single(errors);
    }

    private string WriteEmptyHar()
    {
        var path = _dir.File("empty.har");
        File.WriteAllText(path, """{"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[]}}""");
        return path;
    }

    private static string Sql(string path, string sql)
    {
        using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
