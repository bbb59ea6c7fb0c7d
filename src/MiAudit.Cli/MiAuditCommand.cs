using System.CommandLine;
using MiAudit.Cli.Ca;
using MiAudit.Cli.Reports;
using MiAudit.Cli.Rules;
using MiAudit.Cli.Run;
using MiAudit.Cli.Store;

namespace MiAudit.Cli;

/// <summary>The <c>miaudit</c> root command: <c>run</c> is also what it does without a subcommand.</summary>
public static class MiAuditCommand
{
    public static RootCommand Create()
    {
        var certsDir = CommonOptions.CertsDirectory();
        var root = new RootCommand(
            """
            MiAudit: an intercepting HTTP(S) proxy that finds what phone browsers leak — visited URLs, device
            identifiers, telemetry — and keeps the evidence.

            Point the test phone's Wi-Fi proxy at this machine, open http://miaudit.cert/ on the phone to install
            the CA, then browse. Without a subcommand, 'miaudit' runs the proxy ('miaudit run').

            Examples:
              miaudit                                   proxy on 0.0.0.0:8080, CA in ./certs, evidence in ./miaudit.db
              miaudit run --session-label "mi-browser incognito" --device-profile phone.yaml
              miaudit run --listen 127.0.0.1:9090 --store all
              miaudit findings --min-severity high      what was caught
              miaudit export --format csv --out findings.csv
              miaudit report --out report.html          the audit report, one offline HTML file
              miaudit ca export --format der --out miaudit-ca.crt
            """);
        certsDir.Recursive = true;
        root.Options.Add(certsDir);

        var run = new RunCommand(certsDir);
        run.AddTo(root);
        root.Subcommands.Add(run.Command);
        root.Subcommands.Add(CaCommand.Create(certsDir));
        root.Subcommands.Add(SessionsCommand.Create());
        root.Subcommands.Add(FindingsCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(ScanCommand.Create());
        root.Subcommands.Add(ImportHarCommand.Create());
        root.Subcommands.Add(Ui.UiCommand.Create());
        root.Subcommands.Add(RulesCommand.Create());
        return root;
    }
}
