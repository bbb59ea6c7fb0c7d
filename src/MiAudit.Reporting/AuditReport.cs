using MiAudit.Detection.Findings;
using MiAudit.Detection.Profiles;

namespace MiAudit.Reporting;

/// <summary>Everything a report shows, computed once from the store; the writers only format it.</summary>
public sealed record AuditReport
{
    public required string MiAuditVersion { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>The sessions covered, oldest first.</summary>
    public required IReadOnlyList<ReportSession> Sessions { get; init; }

    /// <summary>Session labels in order of first use: the columns of the comparison.</summary>
    public IReadOnlyList<string> Labels => Sessions.Select(s => s.Label).Distinct().ToList();

    /// <summary>The device profiles the sessions were audited with (identifier values masked unless --unmask).</summary>
    public required IReadOnlyList<ReportProfile> Profiles { get; init; }

    public required bool Masked { get; init; }

    /// <summary>Filters other than the sessions, in words ("min severity high"), or empty.</summary>
    public required string FilterDescription { get; init; }

    public required long FlaggedFlows { get; init; }

    public required long Findings { get; init; }

    /// <summary>Flagged flows per category and severity (a flow with findings of two kinds counts in both).</summary>
    public required IReadOnlyList<CategoryCount> ByCategory { get; init; }

    /// <summary>Registrable domains that received flagged data, most flows first.</summary>
    public required IReadOnlyList<Destination> Destinations { get; init; }

    /// <summary>Each kind of leak (rule, destination, what matched) and how often each session label saw it.</summary>
    public required IReadOnlyList<ComparedLeak> Comparison { get; init; }

    /// <summary>Evidence per finding type (rule), the most severe first.</summary>
    public required IReadOnlyList<EvidenceGroup> Evidence { get; init; }

    /// <summary>Details of the flows the evidence rows link to.</summary>
    public required IReadOnlyList<FlowDetail> Flows { get; init; }

    public required ReportTimeline Timeline { get; init; }

    /// <summary>What was not audited: hosts whose connections were relayed untouched or refused MiAudit's certificate.</summary>
    public IReadOnlyList<Storage.Reading.NotDecryptedHost> NotDecrypted { get; init; } = [];

    /// <summary>When the audit began: the first session's start, or an earlier flagged flow (an imported HAR).</summary>
    public required DateTimeOffset? From { get; init; }

    /// <summary>When it ended: the last session's end, or a later flagged flow (a session that was never closed).</summary>
    public required DateTimeOffset? To { get; init; }
}

/// <param name="Flows">Flows stored in the session (all of them, flagged or not).</param>
/// <param name="FlaggedFlows">Flows with at least one finding that passes the report's filter.</param>
public sealed record ReportSession(
    long Id,
    string Label,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    long Flows,
    long FlaggedFlows,
    long Findings,
    string RuleSetHash,
    string MiAuditVersion);

/// <summary>A device profile as the report shows it, with the sessions that used it.</summary>
public sealed record ReportProfile(string Name, IReadOnlyList<ProfileValue> Identifiers, IReadOnlyList<ProfileValue> Attributes, IReadOnlyList<string> Sessions);

public sealed record CategoryCount(string Category, Severity Severity, long FlaggedFlows, long Findings);

/// <summary>A registrable domain that received flagged data, and which kinds.</summary>
public sealed record Destination(string Site, long FlaggedFlows, long Findings, IReadOnlyList<string> Categories, IReadOnlyList<string> Hosts);

/// <summary>One kind of leak — a rule, the site it went to, what the value was evidence of — counted per session label.</summary>
public sealed record ComparedLeak(
    string RuleId,
    string Title,
    string Category,
    Severity Severity,
    string Site,
    string MatchedAs,
    IReadOnlyDictionary<string, long> FindingsByLabel,
    long DistinctValues)
{
    /// <summary>Seen under every one of <paramref name="labels"/>: the leak does not depend on the mode.</summary>
    public bool SeenInAll(IEnumerable<string> labels) => labels.All(FindingsByLabel.ContainsKey);
}

/// <param name="Total">Findings of this rule; <see cref="Rows"/> holds the first of them.</param>
public sealed record EvidenceGroup(string RuleId, string Title, string Category, Severity Severity, long Total, IReadOnlyList<EvidenceRow> Rows);

/// <param name="HasDetail">The report includes the flow's details (they are capped), so the row can link to them.</param>
public sealed record EvidenceRow(
    long FlowId,
    DateTimeOffset Time,
    string Session,
    string Host,
    string Value,
    string MatchedAs,
    string LeafPath,
    string Snippet,
    bool HasDetail);

/// <summary>A flagged flow as the report details it: request line, headers, and the values decoded out of it.</summary>
public sealed record FlowDetail(
    long FlowId,
    DateTimeOffset Time,
    string Session,
    string Method,
    string Url,
    int? Status,
    IReadOnlyList<(string Name, string Value)> Headers,
    long RequestBodySize,
    IReadOnlyList<(string Path, string Value)> Decoded,
    bool DecodedTruncated,
    IReadOnlyList<(string RuleId, string LeafPath)> Findings);

/// <summary>Flagged flows over time, per category; buckets are a minute wide unless the audit is long.</summary>
public sealed record ReportTimeline(TimeSpan BucketSize, IReadOnlyList<string> Categories, IReadOnlyList<TimelineBucket> Buckets);

public sealed record TimelineBucket(DateTimeOffset Start, IReadOnlyDictionary<string, long> FlaggedFlowsByCategory)
{
    public long Total => FlaggedFlowsByCategory.Values.Sum();
}
