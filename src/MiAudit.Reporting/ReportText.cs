using System.Globalization;

namespace MiAudit.Reporting;

/// <summary>The wording both report formats share, so HTML and Markdown say the same thing the same way.</summary>
internal static class ReportText
{
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string ClockTime(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Plural(long count, string noun) => $"{Count(count)} {noun}{(count == 1 ? "" : "s")}";

    public static string TimeRange(AuditReport report) =>
        report.From is { } from && report.To is { } to ? $"{Time(from)} – {Time(to)}" : "no sessions";

    /// <summary>Rule sets by their hash prefix; more than one means the sessions were not audited alike.</summary>
    public static string RuleSets(AuditReport report) =>
        string.Join(", ", report.Sessions.Select(s => s.RuleSetHash).Distinct().Select(h => "sha256:" + h[..Math.Min(12, h.Length)]));

    public static string Versions(AuditReport report) => string.Join(", ", report.Sessions.Select(s => s.MiAuditVersion).Distinct());

    public static string Session(ReportSession s) =>
        $"#{s.Id} “{s.Label}” {Time(s.StartedAt)} – {(s.EndedAt is { } end ? Time(end) : "not closed")}";

    public static string Masking(AuditReport report) =>
        report.Masked ? "identifiers masked (8612*******0125); run with --unmask to show them" : "identifiers shown unmasked";

    public static string Bucket(TimeSpan bucket) => bucket.TotalMinutes switch
    {
        1 => "minute",
        < 60 => $"{bucket.TotalMinutes:0} minutes",
        60 => "hour",
        < 1440 => $"{bucket.TotalHours:0} hours",
        _ => "day",
    };

    public static string TimelineNote(ReportTimeline timeline) =>
        $"Flagged flows per {Bucket(timeline.BucketSize)} (UTC), by category; a flow with findings of two categories counts in both.";

    /// <summary>Clock time of a timeline bucket, with the date once the audit spans more than one day.</summary>
    public static string BucketStart(DateTimeOffset time, ReportTimeline timeline)
    {
        var spansDays = timeline.Buckets.Count > 0 && timeline.Buckets[0].Start.UtcDateTime.Date != timeline.Buckets[^1].Start.UtcDateTime.Date;
        return time.UtcDateTime.ToString(spansDays ? "MM-dd HH:mm" : "HH:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>A comparison cell: the count, or a dash where the leak was not seen.</summary>
    public static string Seen(ComparedLeak leak, string label) =>
        leak.FindingsByLabel.TryGetValue(label, out var count) ? Count(count) : "—";

    public static string Persistence(AuditReport report, ComparedLeak leak) =>
        report.Labels.Count < 2 ? "" : leak.SeenInAll(report.Labels) ? "yes" : "no";

    /// <summary>"showing the first 50 of 1,234" when the evidence was capped.</summary>
    public static string Shown(EvidenceGroup group) =>
        group.Rows.Count < group.Total ? $"showing the first {Count(group.Rows.Count)} of {Count(group.Total)}" : Plural(group.Total, "finding");

    /// <summary>
    /// A leaf path split after its last decoding step: <c>body.form[data] → base64</c> and <c>json.properties.$url</c>.
    /// Paths without a decoding step (<c>query[q]</c>) have no container.
    /// </summary>
    public static (string Container, string Member) SplitPath(string path)
    {
        var arrow = path.LastIndexOf(" → ", StringComparison.Ordinal);
        return arrow < 0 ? ("", path) : (path[..arrow], path[(arrow + 3)..]);
    }

    /// <summary>An HTML id fragment from a rule id: rule ids are free text in custom rule files.</summary>
    public static string Anchor(string prefix, string name) =>
        prefix + "-" + new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());

    public const string NotDecryptedNote =
        "Connections MiAudit relayed without reading them — hosts passed through by configuration or because the client refused MiAudit's certificate, tunnels that were neither TLS nor HTTP. Nothing sent to these hosts was audited.";

    public const string AllDecrypted = "Every connection in these sessions was decrypted.";
}
