using Microsoft.Data.Sqlite;
using SQLitePCL;
using MiAudit.Storage.Sql;

namespace MiAudit.Storage.Reading;

/// <summary>A prepared SQLite statement read column by column without the ADO.NET layer, for streaming exports.</summary>
internal sealed class RawStatement : IRowCursor
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;

    private RawStatement(SqliteConnection connection, sqlite3_stmt statement)
    {
        _connection = connection;
        _statement = statement;
    }

    /// <summary>Prepares <paramref name="sql"/> and binds the named parameters a filter added to a command.</summary>
    public static RawStatement Prepare(SqliteConnection connection, string sql, SqliteParameterCollection parameters)
    {
        var result = raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement);
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), result);
        }

        foreach (SqliteParameter parameter in parameters)
        {
            var index = raw.sqlite3_bind_parameter_index(statement, parameter.ParameterName);
            _ = parameter.Value switch
            {
                long number => raw.sqlite3_bind_int64(statement, index, number),
                int number => raw.sqlite3_bind_int64(statement, index, number),
                string text => raw.sqlite3_bind_text(statement, index, text),
                _ => raw.sqlite3_bind_null(statement, index),
            };
        }

        return new RawStatement(connection, statement);
    }

    public bool Step()
    {
        var result = raw.sqlite3_step(_statement);
        return result switch
        {
            raw.SQLITE_ROW => true,
            raw.SQLITE_DONE => false,
            _ => throw new SqliteException(raw.sqlite3_errmsg(_connection.Handle).utf8_to_string(), result),
        };
    }

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    public string Text(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string() ?? "";

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public void Dispose() => _statement.Dispose();
}
