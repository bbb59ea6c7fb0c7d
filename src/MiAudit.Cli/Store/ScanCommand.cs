using System.CommandLine;
using MiAudit.Cli.Options;
using MiAudit.Storage;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;

namespace MiAudit.Cli.Store;

/// <summary>
/// <c>miaudit scan</c>: re-runs the current rules over stored flows (after a rule update, or with a device profile
/// added later) and replaces their findings. Each session is scanned on its own, as live analysis saw it (see
/// <see cref="MiAudit.Detection.DetectionEngine.AnalyzeRecorded"/>).
/// </summary>
public static class ScanCommand
{
    public static Command Create()
    {
        var db = DatabaseOption.Create();
        var sessions = new Option<string[]>("--session") { Description = "Session id or label to scan (repeatable; default: all)", HelpName = "ID|LABEL" };
        var detection = new DetectionOptions();
        var command = new Command("scan", """
            Re-run detection over stored flows, replacing their findings. Without --rules, --host-list or
            --device-profile each session is scanned with what it was recorded with (its device profile, rule files
            and host lists are stored with it), under the current built-in rules; with any of them, those are used
            for every session. Only stored flows can be rescanned: audit with --store all if you expect to change
            rules later.

            Example:
              miaudit scan --session incognito --rules my-rules.yaml --device-profile phone.yaml
            """) { db, sessions };
        detection.AddTo(command);
        command.SetAction((result, cancellationToken) => StoreAccess.WithStoreAsync(DatabaseOption.Resolve(result.GetValue(db)), readOnly: false, store =>
        {
            var given = detection.AnyGiven(result) ? detection.Bind(result) : null;
            detection.GivenWindow(result); // a bad --visit-window is an error even with no session to scan
            var ids = (result.GetValue(sessions) ?? []).SelectMany(store.Sessions.Resolve).Distinct().ToList();
            if (ids.Count == 0)
            {
                ids = store.Sessions.List().Select(s => s.Id).ToList();
            }

            long flows = 0, before = 0, after = 0;
            var hashes = new HashSet<string>();
            foreach (var sessionId in ids)
            {
                var (profileText, settingsJson) = store.Sessions.RecordedWith(sessionId);
                var setup = detection.WithGivenWindow(result, given ?? DetectionSetup.FromSession(profileText, settingsJson));
                Console.WriteLine($"Session {sessionId}: {setup.Describe()}{(given is null ? " (as recorded)" : " (from the options)")}");
                hashes.Add(setup.Rules.Hash);
                var filter = new FindingFilter { SessionIds = [sessionId] };
                var queries = store.Queries();
                var engine = setup.CreateEngine();

                // The writer has a connection of its own, so it writes while the flows stream: memory stays flat.
                using (var writer = store.BatchWriter(setup.Rules.Hash))
                {
                    foreach (var (stored, analysis) in engine.AnalyzeRecorded(queries.Flows(filter), queries.Flows(filter, byCompletion: true), s => s.Flow))
                    {
                        writer.ReplaceFindings(stored.RowId, analysis.Findings);
                        flows++;
                        before += stored.Findings.Count;
                        after += analysis.Findings.Count;
                    }
                }

                store.Sessions.SetRuleSetHash(sessionId, setup.Rules.Hash); // what produced the findings now
            }

            Console.WriteLine($"Scanned {flows:N0} flows in {ids.Count} session(s) with rule set {string.Join(", ", hashes)}: {before:N0} findings before, {after:N0} now.");
            return Task.FromResult(ExitCodes.Ok);
        }, mustExist: true));
        return command;
    }
}
