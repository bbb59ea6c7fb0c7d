using System.CommandLine;
using System.Text.Json.Nodes;
using MiAudit.Cli.Options;
using MiAudit.Cli.Run;
using MiAudit.Storage;
using MiAudit.Storage.Har;
using MiAudit.Storage.Writing;

namespace MiAudit.Cli.Store;

/// <summary><c>miaudit import-har</c>: flows captured by other tools, stored as a new session and scanned.</summary>
public static class ImportHarCommand
{
    public static Command Create()
    {
        var db = DatabaseOption.Create();
        var file = new Argument<FileInfo>("FILE") { Description = "A HAR file (Chrome DevTools, mitmproxy, HTTP Toolkit, or a MiAudit export)" };
        var label = new Option<string>("--session-label") { Description = "Label of the new session", Required = true, HelpName = "TEXT" };
        var detection = new DetectionOptions();
        var command = new Command("import-har", """
            Import a HAR file as a new session and scan every flow with the current rules.

            Example:
              miaudit import-har chrome-export.har --session-label "desktop chrome" --device-profile phone.yaml
            """) { file, db, label };
        detection.AddTo(command);
        command.SetAction((result, cancellationToken) => StoreAccess.WithStoreAsync(DatabaseOption.Resolve(result.GetValue(db)), readOnly: false, store =>
        {
            var setup = detection.Bind(result);
            var path = result.GetValue(file)!;
            IReadOnlyList<Flows.Flow> flows;
            try
            {
                using var input = path.OpenRead();
                flows = HarReader.Read(input, path.FullName);
            }
            catch (IOException e)
            {
                throw new UsageException(e.Message);
            }

            var sessionId = store.Sessions.Start(result.GetValue(label)!, ProxyRunner.Version, setup.Rules.Hash, setup.ProfileText,
                setup.Recorded(new JsonObject { ["importedFrom"] = path.FullName }).ToJsonString(),
                DateTimeOffset.UtcNow);
            long findings = 0;
            using (var writer = store.BatchWriter(setup.Rules.Hash))
            {
                foreach (var (flow, analysis) in setup.CreateEngine().AnalyzeAll(flows))
                {
                    writer.Insert(sessionId, new FlowRecord(flow, analysis.Findings, analysis.LimitsReached, KeepBodies: true));
                    findings += analysis.Findings.Count;
                }
            }

            store.Sessions.End(sessionId, DateTimeOffset.UtcNow);
            Console.WriteLine($"Imported {flows.Count:N0} flows from {path.Name} as session {sessionId}; {findings:N0} findings.");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
