using System.Data.Common;
using MiAudit.Storage.Sql;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>PostgreSQL keeps times as <c>timestamptz</c> and refuses NUL characters and unpaired surrogates in text.</summary>
internal sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override object Time(DateTimeOffset time) => time.UtcDateTime;

    public override string JoinDistinct(string column) => $"string_agg(DISTINCT {column}, ',')";

    public override string EqualsIgnoringCase(string column, string parameter) => $"lower({column}) = lower({parameter})";

    public override bool IsUniqueViolation(DbException e) => e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override string? Text(string? text) => PostgresText.Clean(text);

    public override IRowCursor Cursor(DbConnection connection, DbCommand command) => new DataReaderCursor(command, command.ExecuteReader());
}
