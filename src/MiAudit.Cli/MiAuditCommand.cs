using System.CommandLine;
using MiAudit.Cli.Ca;
using MiAudit.Cli.Run;

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
              miaudit                                   proxy on 0.0.0.0:8080, CA in ./certs
              miaudit run --listen 127.0.0.1:9090       loopback only, another port
              miaudit run --passthrough '*.google.com'  leave these hosts' TLS alone
              miaudit ca show                           where the CA is and its fingerprint
              miaudit ca export --format der --out miaudit-ca.crt
            """);
        certsDir.Recursive = true;
        root.Options.Add(certsDir);

        var run = new RunCommand(certsDir);
        run.AddTo(root);
        root.Subcommands.Add(run.Command);
        root.Subcommands.Add(CaCommand.Create(certsDir));
        return root;
    }
}
