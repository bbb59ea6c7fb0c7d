using System.CommandLine;
using MiAudit.Cli.Options;
using MiAudit.Detection.Findings;
using MiAudit.Storage.Export;
using MiAudit.Storage.Reading;
using Spectre.Console;

namespace MiAudit.Cli.Store;

/// <summary><c>miaudit findings</c>: a readable table of findings, with the same filters as export.</summary>
public static class FindingsCommand
{
    public static Command Create()
    {
        var db = DatabaseOption.Create();
        var filters = new FindingFilterOptions();
        var limit = new Option<int>("--limit", "-n") { Description = "Show the newest this many (0: all)", HelpName = "N", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(option =>
        {
            // From the token: a value that is no number at all is reported by the parser itself.
            if (option.Tokens is [var token] && int.TryParse(token.Value, out var value) && value < 0)
            {
                option.AddError($"--limit must be 0 (all) or a positive number, not {value}");
            }
        });
        var mask = MaskOption.Create();
        var command = new Command("findings", "Show findings in the terminal (newest last); filters as for export") { db, limit, mask };
        filters.AddTo(command);
        command.SetAction((result, cancellationToken) => StoreAccess.WithStoreAsync(DatabaseOption.Resolve(result.GetValue(db)), readOnly: true, store =>
        {
            var table = new Table().AddColumns("time (UTC)", "session", "severity", "rule", "host", "value", "leaf path");
            var max = result.GetValue(limit);
            var total = 0;

            // The newest rows, oldest of them first: during a live audit what was just caught is what matters.
            var newest = new Queue<FindingRow>();
            foreach (var row in store.Queries(MaskOption.Policy(result.GetValue(mask), store)).Findings(filters.Bind(result, store.Sessions)))
            {
                total++;
                newest.Enqueue(row);
                if (max > 0 && newest.Count > max)
                {
                    newest.Dequeue();
                }
            }

            var shown = newest.Count;
            foreach (var row in newest)
            {
                table.AddRow(
                    row.Time.ToString("MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(row.Session),
                    $"[{Colour(row.Severity)}]{row.Severity.ToName()}[/]",
                    Markup.Escape(row.RuleId),
                    Markup.Escape(row.Host),
                    Markup.Escape(Clip(row.Value, 60)),
                    Markup.Escape(row.LeafPath));
            }

            TableOutput.Write(table);
            Console.WriteLine(total > shown ? $"newest {shown} of {total} findings shown (--limit 0 for all, or export them)" : $"{total} findings");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static string Colour(Severity severity) => severity switch
    {
        Severity.Critical => "magenta",
        Severity.High => "red",
        Severity.Medium => "yellow",
        Severity.Low => "cyan",
        _ => "grey",
    };

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
