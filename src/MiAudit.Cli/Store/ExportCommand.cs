using System.CommandLine;
using System.Text;
using MiAudit.Cli.Options;
using MiAudit.Cli.Run;
using MiAudit.Storage;
using MiAudit.Storage.Export;
using MiAudit.Storage.Har;
using MiAudit.Storage.Reading;

namespace MiAudit.Cli.Store;

/// <summary><c>miaudit export</c>: findings as CSV or JSON Lines, or their flows as HAR, streamed with constant memory.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var db = DatabaseOption.Create();
        var filters = new FindingFilterOptions();
        var format = new Option<string>("--format", "-f") { Description = "csv (one row per finding), jsonl (one object per finding) or har (the flows, findings in _miaudit)", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "jsonl", "har");
        var output = new Option<string?>("--out", "-o") { Description = "File to write, or - for standard output (default)", HelpName = "FILE|-" };
        var mask = MaskOption.Create();
        var command = new Command("export", """
            Export findings for a report. CSV is RFC 4180, UTF-8, with a header row; cells starting with = + - @, tab or CR
            get a leading ' so spreadsheets do not run them as formulas.

            Examples:
              miaudit export --format csv --out findings.csv
              miaudit export --format jsonl --session incognito --min-severity high
              miaudit export --format har --category url-leak --out leaks.har
            """) { db, format, output, mask };
        filters.AddTo(command);
        command.SetAction((result, cancellationToken) => StoreAccess.WithStoreAsync(DatabaseOption.Resolve(result.GetValue(db)), readOnly: true, store =>
        {
            var filter = filters.Bind(result, store.Sessions);
            var queries = store.Queries(MaskOption.Policy(result.GetValue(mask), store));
            long count = 0;
            void Write(Stream stream)
            {
                count = result.GetValue(format) switch
                {
                    "jsonl" => JsonlExporter.Write(queries.Findings(filter), stream, StoreAccess.Progress("findings")),
                    "har" => HarWriter.Write(queries.Flows(filter), stream, ProxyRunner.Version, StoreAccess.Progress("flows")),
                    _ => WriteCsv(queries, filter, stream),
                };
                stream.Flush();
            }

            if (result.GetValue(output) is not { } path || path == "-")
            {
                using var stdout = Console.OpenStandardOutput();
                Write(stdout);
                return Task.FromResult(ExitCodes.Ok);
            }

            if (OutputFile.Write(path, Write) is { } failure)
            {
                return Task.FromResult(Report.Error(failure, ExitCodes.Failure));
            }

            Console.Error.WriteLine($"\rWrote {count:N0} {(result.GetValue(format) == "har" ? "flows" : "findings")} to {Path.GetFullPath(path)}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static long WriteCsv(IAuditQueries queries, FindingFilter filter, Stream stream)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        return CsvExporter.Write(queries.Findings(filter), writer, StoreAccess.Progress("findings"));
    }
}
