using System.CommandLine;
using MiAudit.Cli.Options;
using MiAudit.Storage;
using Spectre.Console;

namespace MiAudit.Cli.Store;

/// <summary><c>miaudit sessions</c>: the audit sessions in the database.</summary>
public static class SessionsCommand
{
    public static Command Create()
    {
        var db = DatabaseOption.Create();
        var command = new Command("sessions", "List audit sessions: id, label, time, flows and findings") { db };
        command.SetAction((result, cancellationToken) => StoreAccess.WithStoreAsync(DatabaseOption.Resolve(result.GetValue(db)), readOnly: true, store =>
        {
            var table = new Table().AddColumns("id", "label", "started (UTC)", "ended (UTC)", "flows", "findings", "rules", "MiAudit");
            foreach (var session in store.Sessions.List())
            {
                table.AddRow(
                    session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(session.Label),
                    session.StartedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                    session.EndedAt?.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "(running or killed)",
                    session.Flows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                    session.Findings.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                    session.RuleSetHash,
                    session.MiAuditVersion);
            }

            TableOutput.Write(table);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
