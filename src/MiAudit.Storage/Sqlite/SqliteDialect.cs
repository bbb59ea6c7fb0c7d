using System.Data.Common;
using Microsoft.Data.Sqlite;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Sql;

namespace MiAudit.Storage.Sqlite;

/// <summary>SQLite keeps times as ISO 8601 UTC text (sortable, readable in the sqlite3 shell).</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override object Time(DateTimeOffset time) => Timestamps.Format(time);

    public override string JoinDistinct(string column) => $"group_concat(DISTINCT {column})";

    public override string EqualsIgnoringCase(string column, string parameter) => $"{column} = {parameter} COLLATE NOCASE";

    public override bool IsUniqueViolation(DbException e) => e is SqliteException { SqliteErrorCode: 19 };

    // The raw statement: the ADO.NET reader's per-column checks cost more than SQLite itself on a long export.
    public override IRowCursor Cursor(DbConnection connection, DbCommand command) =>
        RawStatement.Prepare((SqliteConnection)connection, command.CommandText, ((SqliteCommand)command).Parameters);
}
