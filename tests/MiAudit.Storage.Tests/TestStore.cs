using Microsoft.Extensions.Logging.Abstractions;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

/// <summary>
/// A fresh store of one backend for one test: an SQLite file in a temporary directory, or a new database in the shared
/// PostgreSQL cluster. Tests written against it run once per backend (<see cref="Backends"/>).
/// </summary>
public sealed class TestStore : IDisposable
{
    private static int _databases;
    private readonly TemporaryDirectory _directory = new("miaudit-store");

    private TestStore(string backend, string location)
    {
        Backend = backend;
        Location = location;
    }

    public string Backend { get; }

    /// <summary>What <c>--db</c> would be given: a file path or a postgresql:// URL.</summary>
    public string Location { get; }

    public static async Task<TestStore> CreateAsync(string backend)
    {
        if (backend == Backends.Sqlite)
        {
            var directory = new TemporaryDirectory("miaudit-store");
            return new TestStore(backend, Path.Combine(directory.Path, "a.db"));
        }

        var cluster = await PostgresCluster.Shared;
        var name = await cluster.CreateDatabaseAsync($"store_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}");
        return new TestStore(backend, cluster.Url(name));
    }

    public IAuditStore Open(bool readOnly = false) => AuditStores.Open(Location, readOnly);

    public long StartSession(string label = "test")
    {
        using var store = Open();
        return store.Sessions.Start(label, "test", "hash", null, null, DateTimeOffset.UtcNow);
    }

    public FlowWriter Writer(long sessionId)
    {
        using var store = Open();
        return store.FlowWriter(sessionId, "hash", NullLogger<FlowWriter>.Instance);
    }

    /// <summary>Writes the records through a new session's live writer and closes it.</summary>
    public async Task<long> WriteAsync(params FlowRecord[] records)
    {
        var session = StartSession();
        var writer = Writer(session);
        foreach (var record in records)
        {
            await writer.WriteAsync(record);
        }

        await writer.DisposeAsync();
        Assert.Equal(records.Length, writer.Written);
        return session;
    }

    /// <summary>The first column of a query's rows, read on a connection of the test's own (<c>@uid</c> bound when given).</summary>
    public List<long> Rows(string sql, string? uid)
    {
        var address = StoreAddress.Parse(Location);
        var path = address.FilePath;
        if (path is not null && !File.Exists(path))
        {
            return [];
        }

        using System.Data.Common.DbConnection connection = address.IsPostgres
            ? new Npgsql.NpgsqlConnection(address.ConnectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (uid is not null)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@uid";
            parameter.Value = uid;
            command.Parameters.Add(parameter);
        }

        using var reader = command.ExecuteReader();
        var rows = new List<long>();
        while (reader.Read())
        {
            rows.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }

        return rows;
    }

    public void Dispose() => _directory.Dispose();
}

public static class Backends
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> All => new() { Sqlite, Postgres };
}
