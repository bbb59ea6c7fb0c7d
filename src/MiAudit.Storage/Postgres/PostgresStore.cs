using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiAudit.Detection.Masking;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Sql;
using MiAudit.Storage.Writing;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>
/// A PostgreSQL database shared by a lab's proxies: each run is its own session, written by its own connection.
/// Reads lease pooled connections (one statement at a time runs on each); sessions use the store's own connection.
/// </summary>
internal sealed class PostgresStore : IAuditStore
{
    private readonly StoreAddress _location;
    private readonly NpgsqlDataSource _source;
    private readonly NpgsqlConnection _connection;
    private readonly bool _readOnly;

    private PostgresStore(StoreAddress location, NpgsqlDataSource source, NpgsqlConnection connection, bool readOnly)
    {
        _location = location;
        _source = source;
        _connection = connection;
        _readOnly = readOnly;
        Sessions = new SessionStore(connection, PostgresDialect.Instance);
    }

    /// <exception cref="StorageException">The server cannot be reached, refuses the login, or the database is not MiAudit's.</exception>
    public static PostgresStore Open(StoreAddress location, bool readOnly, bool mustExist)
    {
        var source = DataSource(location);
        var connection = Connect(source, location);
        try
        {
            if (readOnly)
            {
                PostgresSchema.Check(connection, location.Display);
            }
            else
            {
                if (mustExist)
                {
                    PostgresSchema.Check(connection, location.Display, sameVersion: false);
                }

                PostgresSchema.Migrate(connection, location.Display);
            }

            return new PostgresStore(location, source, connection, readOnly);
        }
        catch (Exception e) when (e is NpgsqlException)
        {
            connection.Dispose();
            source.Dispose();
            throw new StorageException($"cannot use {location.Display}: {Reason(e)}", e);
        }
        catch
        {
            connection.Dispose();
            source.Dispose();
            throw;
        }
    }

    /// <summary>The slim builder: the full one pulls in every type mapping by reflection, which the AOT build cannot carry.</summary>
    internal static NpgsqlDataSource DataSource(StoreAddress location) =>
        new NpgsqlSlimDataSourceBuilder(location.ConnectionString).EnableArrays().Build();

    /// <exception cref="StorageException">The server cannot be reached or refuses the login.</exception>
    internal static NpgsqlConnection Connect(NpgsqlDataSource source, StoreAddress location)
    {
        try
        {
            return source.OpenConnection();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or ArgumentException)
        {
            throw new StorageException($"cannot connect to PostgreSQL at {location.Display}: {Reason(e)}", e);
        }
    }

    /// <summary>What went wrong, in one line: Npgsql's message and, for a network failure, the socket's.</summary>
    internal static string Reason(Exception e) =>
        e.InnerException is SocketException or TimeoutException && !e.Message.Contains(e.InnerException.Message, StringComparison.Ordinal)
            ? $"{e.Message.TrimEnd('.')} ({e.InnerException.Message})"
            : e.Message;

    public string Location => _location.Display;

    public ISessionStore Sessions { get; }

    public IAuditQueries Queries(MaskingPolicy? masking = null) =>
        new AuditQueries(() => new ConnectionLease(_source.OpenConnection(), owned: true), PostgresDialect.Instance, masking);

    public MaskingPolicy StoredMasking() => Export.StoredMasking.For(_connection);

    public IBatchWriter BatchWriter(string ruleSetHash)
    {
        ThrowIfReadOnly();
        return new PostgresBatchWriter(_source.OpenConnection(), ruleSetHash);
    }

    public Search.ISearchIndex SearchIndex() => new PostgresSearchIndex(_source);

    public FlowWriter FlowWriter(long sessionId, string ruleSetHash, ILogger<FlowWriter> logger)
    {
        ThrowIfReadOnly();
        return new Writing.FlowWriter(new PostgresEvidence(_location), sessionId, ruleSetHash, logger);
    }

    private void ThrowIfReadOnly()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("the store was opened read-only");
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _source.Dispose();
    }
}
