using System.CommandLine;
using MiAudit.Storage;

namespace MiAudit.Cli.Options;

/// <summary><c>--db</c>, shared by every command that reads or writes the evidence store.</summary>
public static class DatabaseOption
{
    public static Option<FileInfo> Create() => new("--db")
    {
        Description = "The SQLite evidence database",
        HelpName = "FILE",
        DefaultValueFactory = _ => new FileInfo(AuditDatabase.DefaultFileName),
    };
}
