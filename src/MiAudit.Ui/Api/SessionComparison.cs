using System.Text.Json;
using MiAudit.Detection.Findings;
using MiAudit.Reporting;
using MiAudit.Storage;

namespace MiAudit.Ui.Api;

/// <summary>
/// The report's sessions compared, live: per kind of leak and site, how many findings each session has, so the
/// view shows which leaks persist across modes (normal and incognito) and links each count to its flows.
/// </summary>
internal static class SessionComparison
{
    public static void Write(Utf8JsonWriter json, IAuditStore store)
    {
        // Only the tallies: no evidence rows, no flow details, nothing to mask.
        var report = new AuditReportBuilder(store, new ReportOptions { Unmask = true, EvidenceRowsPerRule = 0, FlowDetails = 0 })
            .Build("ui", DateTimeOffset.UtcNow);
        json.WriteStartObject();
        json.WriteStartArray("sessions");
        foreach (var session in report.Sessions)
        {
            json.WriteStringValue(session.Label);
        }

        json.WriteEndArray();
        var labels = report.Sessions.Select(s => s.Label).ToList();
        json.WriteStartArray("leaks");
        foreach (var leak in report.Comparison)
        {
            json.WriteStartObject();
            json.WriteString("rule", leak.RuleId);
            json.WriteString("title", leak.Title);
            json.WriteString("category", leak.Category);
            json.WriteString("severity", leak.Severity.ToName());
            json.WriteString("site", leak.Site);
            json.WriteString("matchedAs", leak.MatchedAs);
            json.WriteNumber("distinctValues", leak.DistinctValues);
            json.WriteBoolean("inEverySession", labels.Count > 1 && leak.SeenInAll(labels));
            json.WriteStartObject("findings");
            foreach (var (label, count) in leak.FindingsByLabel)
            {
                json.WriteNumber(label, count);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
