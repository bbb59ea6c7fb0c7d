namespace MiAudit.Storage.Sql;

/// <summary>
/// Text made literal inside a <c>LIKE … ESCAPE '\'</c> pattern (both engines read the same escape): a host, a domain
/// or a search term holding <c>%</c>, <c>_</c> or <c>\</c> matches those characters, not anything.
/// </summary>
internal static class SqlLike
{
    public static string Literal(string text) => text
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal)
        .Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>A pattern for values that hold <paramref name="text"/> anywhere.</summary>
    public static string Containing(string text) => "%" + Literal(text) + "%";
}
