using MiAudit.Detection.Findings;

namespace MiAudit.Reporting.Markdown;

/// <summary>
/// Writes the report as GitHub-flavoured Markdown for pasting into papers and issues: the same sections as the HTML,
/// the timeline as a table, flow details as lists.
/// </summary>
public static class MarkdownReportWriter
{
    public static void Write(AuditReport report, TextWriter output)
    {
        var md = new MarkdownOutput(output);
        md.Line("# MiAudit audit report").Line();
        foreach (var session in report.Sessions)
        {
            md.Line($"- **Session** {Cell(ReportText.Session(session))}: {ReportText.Plural(session.Flows, "flow")} stored, {ReportText.Count(session.FlaggedFlows)} flagged, {ReportText.Plural(session.Findings, "finding")}");
        }

        md.Line($"- **Time range** {ReportText.TimeRange(report)}");
        foreach (var profile in report.Profiles)
        {
            var values = profile.Identifiers.Concat(profile.Attributes).Select(v => $"{v.Field}: `{v.Value}`");
            md.Line($"- **Device profile** {Cell(profile.Name)} ({string.Join("; ", values)}), used by {Cell(string.Join(", ", profile.Sessions))}");
        }

        md.Line($"- **Identifiers** {ReportText.Masking(report)}");
        md.Line($"- **MiAudit** report {report.MiAuditVersion}; sessions recorded with {ReportText.Versions(report)}");
        md.Line($"- **Rule set** {ReportText.RuleSets(report)}");
        if (report.FilterDescription.Length > 0)
        {
            md.Line($"- **Filter** {Cell(report.FilterDescription)}");
        }

        md.Line().Line("## Summary").Line();
        md.Line($"**{ReportText.Count(report.FlaggedFlows)}** flagged flows, **{ReportText.Count(report.Findings)}** findings, **{ReportText.Count(report.Destinations.Count)}** destination sites.").Line();
        md.Table(["Category", "Severity", "Flagged flows", "Findings"], report.ByCategory.Select(c => new[] { c.Category, c.Severity.ToName(), ReportText.Count(c.FlaggedFlows), ReportText.Count(c.Findings) }));

        md.Line("### Top destinations").Line();
        md.Table(["Site", "Flagged flows", "Findings", "Data received", "Hosts"], report.Destinations.Select(d => new[]
        {
            d.Site, ReportText.Count(d.FlaggedFlows), ReportText.Count(d.Findings), string.Join(", ", d.Categories), string.Join(", ", d.Hosts),
        }));

        var labels = report.Labels;
        md.Line("## Sessions compared").Line();
        string[] headers = ["Leak", "Sent to", "Matched as", .. labels, .. labels.Count < 2 ? Array.Empty<string>() : ["In every session"], "Distinct values"];
        md.Table(headers, report.Comparison.Select(leak => new[] { $"{leak.Severity.ToName()}: {leak.Title}", leak.Site, leak.MatchedAs }
            .Concat(labels.Select(l => ReportText.Seen(leak, l)))
            .Concat(labels.Count < 2 ? [] : [ReportText.Persistence(report, leak)])
            .Append(ReportText.Count(leak.DistinctValues))
            .ToArray()));

        md.Line("## Not decrypted").Line().Line(report.NotDecrypted.Count == 0 ? ReportText.AllDecrypted : ReportText.NotDecryptedNote).Line();
        if (report.NotDecrypted.Count > 0)
        {
            md.Table(["Session", "Host", "Reason", "Connections", "First", "Last"], report.NotDecrypted.Select(h => new[]
            {
                h.SessionLabel, h.Host, h.Reason, ReportText.Count(h.Connections), ReportText.Time(h.First), ReportText.Time(h.Last),
            }));
        }

        md.Line("## Timeline").Line().Line(ReportText.TimelineNote(report.Timeline) + " Periods without flagged flows are left out.").Line();
        md.Table(["Time", "Total", .. report.Timeline.Categories], report.Timeline.Buckets.Where(b => b.Total > 0).Select(b => new[]
        {
            ReportText.BucketStart(b.Start, report.Timeline), ReportText.Count(b.Total),
        }.Concat(report.Timeline.Categories.Select(c => ReportText.Count(b.FlaggedFlowsByCategory.GetValueOrDefault(c)))).ToArray()));

        md.Line("## Evidence by finding type").Line();
        foreach (var group in report.Evidence)
        {
            md.Line($"### {group.Severity.ToName()}: {Cell(group.Title)}").Line().Line($"Rule `{group.RuleId}`, {group.Category}, {ReportText.Shown(group)}.").Line();
            md.Table(["Time", "Session", "Host", "Value", "Matched as", "Where (leaf path)", "Decoded snippet", "Flow"], group.Rows.Select(r => new[]
            {
                ReportText.ClockTime(r.Time), r.Session, r.Host, Code(r.Value), r.MatchedAs, Code(r.LeafPath), Code(r.Snippet), $"#{r.FlowId}",
            }), escapedColumns: [3, 5, 6]);
        }

        md.Line("## Flow details").Line();
        foreach (var flow in report.Flows)
        {
            md.Line($"### Flow #{flow.FlowId}: {Cell(flow.Method)} {Code(flow.Url)}").Line();
            md.Line($"{ReportText.Time(flow.Time)}, session “{Cell(flow.Session)}”, status {flow.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, request body {ReportText.Plural(flow.RequestBodySize, "byte")}.").Line();
            md.Line("Findings: " + string.Join("; ", flow.Findings.Select(f => $"`{f.RuleId}` at {Code(f.LeafPath)}"))).Line();
            md.Table(["Request header", "Value"], flow.Headers.Select(h => new[] { h.Name, Code(h.Value) }), escapedColumns: [1]);
            md.Table(["Decoded value at", "Value"], flow.Decoded.Select(d => new[] { Code(d.Path), Code(d.Value) }), escapedColumns: [0, 1]);
            if (flow.DecodedTruncated)
            {
                md.Line("(more decoded values not shown)").Line();
            }
        }

        md.Line($"---").Line().Line($"Generated by MiAudit {report.MiAuditVersion} on {ReportText.Time(report.GeneratedAt)}.");
    }

    /// <summary>Text for a table cell or a line: pipes and line breaks would end the cell, markup would format it.</summary>
    private static string Cell(string text) =>
        text.Replace("\\", "\\\\").Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ").Replace("*", "\\*").Replace("_", "\\_").Replace("`", "\\`").Replace("<", "&lt;");

    /// <summary>Verbatim text as a code span (a longer backtick fence when the text has backticks); pipes still escaped for tables.</summary>
    private static string Code(string text)
    {
        if (text.Length == 0)
        {
            return "";
        }

        var flat = text.Replace("\r", " ").Replace("\n", " ").Replace("|", "\\|");
        var fence = flat.Contains('`') ? "`` " : "`";
        return fence + flat + (fence.Length > 1 ? " ``" : "`");
    }

    private sealed class MarkdownOutput(TextWriter output)
    {
        public MarkdownOutput Line(string text = "")
        {
            output.Write(text);
            output.Write('\n');
            return this;
        }

        /// <param name="escapedColumns">Columns already made safe (code spans); the others are escaped here.</param>
        public MarkdownOutput Table(IReadOnlyList<string> headers, IEnumerable<string[]> rows, int[]? escapedColumns = null)
        {
            Line("| " + string.Join(" | ", headers.Select(Cell)) + " |");
            Line("|" + string.Concat(headers.Select(_ => " --- |")));
            var any = false;
            foreach (var row in rows)
            {
                any = true;
                Line("| " + string.Join(" | ", row.Select((cell, i) => escapedColumns?.Contains(i) == true ? cell : Cell(cell))) + " |");
            }

            if (!any)
            {
                Line("| " + string.Join(" | ", headers.Select((_, i) => i == 0 ? "none" : "")) + " |");
            }

            return Line();
        }
    }
}
