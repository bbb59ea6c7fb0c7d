using System.Data.Common;
using Microsoft.Data.Sqlite;
using MiAudit.Storage.Postgres;
using MiAudit.Storage.Sqlite;
using Npgsql;

namespace MiAudit.Storage.Sql;

internal static class SqlDialects
{
    /// <summary>The dialect of an open connection of one of the store's engines.</summary>
    public static SqlDialect For(DbConnection connection) => connection switch
    {
        SqliteConnection => SqliteDialect.Instance,
        NpgsqlConnection => PostgresDialect.Instance,
        _ => throw new ArgumentException($"no store backend for {connection.GetType().Name}", nameof(connection)),
    };
}
