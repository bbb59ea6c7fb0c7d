using System.CommandLine;
using MiAudit.Storage;

namespace MiAudit.Cli.Options;

/// <summary><c>--db</c>, shared by every command that reads or writes the evidence store.</summary>
public static class DatabaseOption
{
    // No default value for the help to print: it would print MIAUDIT_DB, password and all. Resolve says what applies.
    public static Option<string?> Create() => new("--db")
    {
        Description = $"The evidence store: an SQLite file, or a PostgreSQL database as postgresql://user@host:port/db "
            + $"(when not given: ${StoreAddress.EnvironmentVariable} if set, else {AuditDatabase.DefaultFileName} here). Keep a "
            + $"password in ${StoreAddress.EnvironmentVariable}, PGPASSWORD or ~/.pgpass rather than on the command line",
        HelpName = "FILE|URL",
    };

    /// <summary>The store a command uses: <c>--db</c>, else <c>MIAUDIT_DB</c>, else miaudit.db.</summary>
    public static string Resolve(string? given) => string.IsNullOrEmpty(given) ? StoreAddress.Default : given;
}
