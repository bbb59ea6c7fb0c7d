using System.Data.Common;
using System.Globalization;

namespace MiAudit.Storage.Sql;

/// <summary>
/// What differs between the SQL engines behind the store, for the statements they share (sessions, reads, filters):
/// how a time is stored, how a host is compared without case, how text must be cleaned, how rows are streamed.
/// Shared statements name their parameters <c>@name</c>, which both Microsoft.Data.Sqlite and Npgsql bind.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>A time as a parameter value.</summary>
    public abstract object Time(DateTimeOffset time);

    /// <summary>A stored time, whatever the column type.</summary>
    public DateTimeOffset ReadTime(DbDataReader reader, int column) => reader.GetValue(column) switch
    {
        string text => Timestamps.Parse(text),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        DateTimeOffset time => time.ToUniversalTime(),
        var other => throw new StorageException($"a time column holds {other.GetType().Name}"),
    };

    /// <summary><paramref name="column"/> equals the parameter, ignoring ASCII case.</summary>
    public abstract string EqualsIgnoringCase(string column, string parameter);

    /// <summary>The insert failed on a unique index (another writer took the value first).</summary>
    public abstract bool IsUniqueViolation(DbException e);

    /// <summary>The distinct values of <paramref name="column"/> joined with commas (an aggregate).</summary>
    public abstract string JoinDistinct(string column);

    /// <summary>Text as the engine can hold it (PostgreSQL refuses NUL characters); a no-op where nothing needs cleaning.</summary>
    public virtual string? Text(string? text) => text;

    /// <summary>Runs a query whose rows are read column by column (for streams of millions of rows).</summary>
    public abstract IRowCursor Cursor(DbConnection connection, DbCommand command);

    /// <summary>Adds a named parameter to <paramref name="command"/>.</summary>
    public void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value switch
        {
            null => DBNull.Value,
            string text => (object?)Text(text) ?? DBNull.Value,
            DateTimeOffset time => Time(time),
            _ => value,
        };
        command.Parameters.Add(parameter);
    }

    /// <summary>An integer column, whatever integer type the engine gave it.</summary>
    public static long Long(DbDataReader reader, int column) => Convert.ToInt64(reader.GetValue(column), CultureInfo.InvariantCulture);
}

/// <summary>Rows of a query, read column by column; times come as the text <see cref="Timestamps.Format"/> writes.</summary>
internal interface IRowCursor : IDisposable
{
    bool Step();

    long Int64(int column);

    string Text(int column);

    bool IsNull(int column);
}

/// <summary>A cursor over an ADO.NET reader (PostgreSQL): times are formatted as SQLite stores them.</summary>
internal sealed class DataReaderCursor(DbCommand command, DbDataReader reader) : IRowCursor
{
    public bool Step() => reader.Read();

    public long Int64(int column) => SqlDialect.Long(reader, column);

    public string Text(int column) => reader.GetValue(column) switch
    {
        string text => text,
        DateTime time => Timestamps.Format(new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc))),
        DBNull => "",
        var other => Convert.ToString(other, CultureInfo.InvariantCulture) ?? "",
    };

    public bool IsNull(int column) => reader.IsDBNull(column);

    public void Dispose()
    {
        reader.Dispose();
        command.Dispose();
    }
}

/// <summary>A connection for one read: the store's shared one (SQLite), or one from the pool, returned after (PostgreSQL).</summary>
internal readonly struct ConnectionLease(DbConnection connection, bool owned) : IDisposable
{
    public DbConnection Connection { get; } = connection;

    public void Dispose()
    {
        if (owned)
        {
            Connection.Dispose();
        }
    }
}
