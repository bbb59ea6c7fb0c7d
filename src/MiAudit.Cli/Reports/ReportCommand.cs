using System.CommandLine;
using System.Text;
using MiAudit.Cli.Options;
using MiAudit.Cli.Run;
using MiAudit.Cli.Store;
using MiAudit.Reporting;
using MiAudit.Reporting.Html;
using MiAudit.Reporting.Markdown;

namespace MiAudit.Cli.Reports;

/// <summary><c>miaudit report</c>: the audit as one self-contained HTML page, or Markdown for a paper.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var db = DatabaseOption.Create();
        var filters = new FindingFilterOptions();
        var output = new Option<FileInfo>("--out", "-o")
        {
            Description = "File to write (default miaudit-report.html, or .md with --format md)",
            HelpName = "FILE",
        };
        var format = new Option<string?>("--format", "-f") { Description = "html (self-contained, opens offline) or md (Markdown); default: from the --out extension, else html", HelpName = "html|md" };
        format.AcceptOnlyFromAmong("html", "md");
        var unmask = new Option<bool>("--unmask") { Description = "Show device identifiers as captured (by default they are masked: 8612*******0125)" };
        var evidenceRows = new Option<int>("--evidence-rows") { Description = "Evidence rows listed per finding type (the total is always given)", DefaultValueFactory = _ => new ReportOptions().EvidenceRowsPerRule, HelpName = "N" };
        var flowDetails = new Option<int>("--flow-details") { Description = "Flows detailed with headers and decoded values", DefaultValueFactory = _ => new ReportOptions().FlowDetails, HelpName = "N" };
        var command = new Command("report", """
            Write the audit report: sessions, device profile, flagged flows by category and destination, sessions
            compared side by side (which leaks persist in incognito mode), evidence per finding type with leaf paths
            and decoded snippets, flow details and a timeline. Identifiers are masked unless --unmask.

            Examples:
              miaudit report --out report.html
              miaudit report --session normal --session incognito --out incognito.html
              miaudit report --format md --min-severity medium --out findings.md
            """) { db, output, format, unmask, evidenceRows, flowDetails };
        filters.AddTo(command);
        command.SetAction((result, cancellationToken) => StoreAccess.WithStoreAsync(DatabaseOption.Resolve(result.GetValue(db)), readOnly: true, store =>
        {
            var markdown = result.GetValue(format) is { } chosen ? chosen == "md" : result.GetValue(output)?.Extension.ToLowerInvariant() is ".md" or ".markdown";
            var file = result.GetValue(output) ?? new FileInfo(markdown ? "miaudit-report.md" : "miaudit-report.html");
            if (result.GetValue(evidenceRows) < 0 || result.GetValue(flowDetails) < 0)
            {
                throw new UsageException("--evidence-rows and --flow-details take a count of 0 or more");
            }

            var report = new AuditReportBuilder(store, new ReportOptions
            {
                Filter = filters.Bind(result, store.Sessions),
                Unmask = result.GetValue(unmask),
                EvidenceRowsPerRule = result.GetValue(evidenceRows),
                FlowDetails = result.GetValue(flowDetails),
            }).Build(ProxyRunner.Version, DateTimeOffset.UtcNow);

            var failure = OutputFile.Write(file.FullName, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16);
                if (markdown)
                {
                    MarkdownReportWriter.Write(report, writer);
                }
                else
                {
                    HtmlReportWriter.Write(report, writer);
                }
            });
            if (failure is not null)
            {
                return Task.FromResult(Report.Error(failure, ExitCodes.Failure));
            }

            Console.Error.WriteLine($"Wrote the report ({report.FlaggedFlows:N0} flagged flows, {report.Findings:N0} findings, {report.Sessions.Count} sessions) to {file.FullName}");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
