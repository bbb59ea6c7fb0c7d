using System.CommandLine;
using System.Text;
using MiAudit.Cli.Options;
using MiAudit.Cli.Run;
using MiAudit.Storage;
using MiAudit.Storage.Export;
using MiAudit.Storage.Export.Parquet;
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
        var format = new Option<string>("--format", "-f")
        {
            Description = "csv (one row per finding), jsonl (one object per finding), har (the flows, findings in _miaudit) or parquet (findings.parquet and flows.parquet in the --out directory)",
            DefaultValueFactory = _ => "csv",
        };
        format.AcceptOnlyFromAmong("csv", "jsonl", "har", "parquet");
        var output = new Option<string?>("--out", "-o") { Description = "File to write, or - for standard output (default); for parquet a directory", HelpName = "FILE|DIR|-" };
        var mask = MaskOption.Create();
        var command = new Command("export", """
            Export findings for a report. CSV is RFC 4180, UTF-8, with a header row; cells starting with = + - @, tab or CR
            get a leading ' so spreadsheets do not run them as formulas.

            Examples:
              miaudit export --format csv --out findings.csv
              miaudit export --format jsonl --session incognito --min-severity high
              miaudit export --format har --category url-leak --out leaks.har
              miaudit export --format parquet --out study/   (then: duckdb -c "SELECT * FROM 'study/findings.parquet'")
            """) { db, format, output, mask };
        filters.AddTo(command);
        command.SetAction((result, cancellationToken) => StoreAccess.WithStoreAsync(DatabaseOption.Resolve(result.GetValue(db)), readOnly: true, store =>
        {
            var filter = filters.Bind(result, store.Sessions);
            var queries = store.Queries(MaskOption.Policy(result.GetValue(mask), store));
            if (result.GetValue(format) == "parquet")
            {
                return Task.FromResult(WriteParquet(queries, filter, result.GetValue(output)));
            }

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

    /// <summary>Two files in a directory: findings and flows, each streamed in row groups.</summary>
    private static int WriteParquet(IAuditQueries queries, FindingFilter filter, string? directory)
    {
        if (directory is null or "-")
        {
            throw new UsageException("--format parquet writes two files: give --out a directory");
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Report.Error($"cannot create the directory {Path.GetFullPath(directory)}: {e.Message}", ExitCodes.Failure);
        }

        long findings = 0, flows = 0;
        var findingsFile = Path.Combine(directory, ParquetExporter.FindingsFile);
        var flowsFile = Path.Combine(directory, ParquetExporter.FlowsFile);
        var failure = OutputFile.Write(findingsFile, stream => findings = ParquetExporter.WriteFindings(queries.Findings(filter), stream, StoreAccess.Progress("findings")))
            ?? OutputFile.Write(flowsFile, stream => flows = ParquetExporter.WriteFlows(queries.Flows(filter), stream, StoreAccess.Progress("flows")));
        if (failure is not null)
        {
            return Report.Error(failure, ExitCodes.Failure);
        }

        Console.Error.WriteLine($"\rWrote {findings:N0} findings to {Path.GetFullPath(findingsFile)} and {flows:N0} flows to {Path.GetFullPath(flowsFile)}");
        return ExitCodes.Ok;
    }

    private static long WriteCsv(IAuditQueries queries, FindingFilter filter, Stream stream)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        return CsvExporter.Write(queries.Findings(filter), writer, StoreAccess.Progress("findings"));
    }
}
