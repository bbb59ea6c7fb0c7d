using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace MiAudit.Testing;

/// <summary>
/// A real PostgreSQL server for the tests: <c>initdb</c> into a temporary directory, <c>pg_ctl start</c> on a free
/// loopback port (no Unix socket outside that directory), password authentication, removed on dispose. As root the
/// server runs as the <c>postgres</c> user, since PostgreSQL refuses to run as root. Tests share
/// <see cref="Shared"/> (one database each, from <see cref="CreateDatabaseAsync"/>); a test that stops the server
/// starts a cluster of its own.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private static readonly Lazy<Task<PostgresCluster>> SharedCluster = new(async () =>
    {
        var cluster = await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return cluster;
    });

    private readonly string _bin;
    private readonly string _directory;
    private readonly bool _asPostgresUser;

    private PostgresCluster(string bin, string directory, int port, bool asPostgresUser)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The cluster every test class shares; started by the first that asks.</summary>
    public static Task<PostgresCluster> Shared => SharedCluster.Value;

    public int Port { get; }

    public const string User = "postgres";

    /// <summary>The superuser's password: tests check it never appears in what MiAudit prints or writes.</summary>
    public string Password { get; } = "pw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private string Data => Path.Combine(_directory, "data");

    /// <summary>A <c>postgresql://</c> URL with the password, as a researcher would put it in MIAUDIT_DB.</summary>
    public string Url(string database) => $"postgresql://{User}:{Password}@127.0.0.1:{Port}/{database}";

    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = FindBin();
        var directory = Path.Combine(Path.GetTempPath(), "miaudit-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var asPostgres = Environment.UserName == "root";
        var cluster = new PostgresCluster(bin, directory, FreePort(), asPostgres);
        var passwordFile = Path.Combine(directory, "pwfile");
        await File.WriteAllTextAsync(passwordFile, cluster.Password);
        if (asPostgres)
        {
            await Run("chown", ["-R", "postgres:postgres", directory]);
        }

        await cluster.Command("initdb", ["-D", cluster.Data, "-U", User, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C", "--no-sync"]);
        File.Delete(passwordFile);
        await cluster.StartServerAsync();
        return cluster;
    }

    /// <summary>Starts the server (again, after <see cref="StopServerAsync"/>) on the same port.</summary>
    /// <remarks>fsync is off for speed (a stop kills the process, not the machine: written WAL survives in the page
    /// cache); synchronous_commit stays on, or an immediate stop would lose commits the server had acknowledged.</remarks>
    public Task StartServerAsync() => Command("pg_ctl",
    [
        "-D", Data, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60", "start",
        "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {_directory} -c fsync=off -c full_page_writes=off -c max_connections=200",
    ]);

    /// <summary>Stops the server at once (connections are cut, as when a lab's server goes down).</summary>
    public Task StopServerAsync() => Command("pg_ctl", ["-D", Data, "-w", "-t", "60", "-m", "immediate", "stop"]);

    /// <summary>A new empty database of that name.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>A connection string to one of the cluster's databases, for tests that look at the rows themselves.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Password={Password};Database={database};Pooling=false";

    private static string FindBin()
    {
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        var bin = versions.Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0).FirstOrDefault();
        return bin ?? throw new InvalidOperationException("no PostgreSQL server (initdb) under /usr/lib/postgresql: run tests/install-prerequisites.sh");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task Command(string program, string[] arguments) => _asPostgresUser
        ? Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. arguments])
        : Run(Path.Combine(_bin, program), arguments);

    private static async Task Run(string program, string[] arguments)
    {
        var (exitCode, stdout, stderr) = await ChildProcess.RunAsync(program, arguments, workingDirectory: Path.GetTempPath(), timeout: TimeSpan.FromMinutes(2));
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments.Take(3))} failed ({exitCode}): {stdout}{stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        catch (InvalidOperationException)
        {
            // Not running (stopped by the test); the directory goes anyway.
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
