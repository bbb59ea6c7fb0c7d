using MiAudit.Detection.Decoding;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Loading;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Sites;
using MiAudit.Detection.Masking;
using MiAudit.Storage;
using MiAudit.Storage.Export;
using MiAudit.Storage.Reading;

namespace MiAudit.Reporting;

/// <summary>What a report covers and how much evidence it spells out.</summary>
public sealed record ReportOptions
{
    public FindingFilter Filter { get; init; } = new();

    /// <summary>Show identifiers as captured instead of <c>8612*******0125</c>.</summary>
    public bool Unmask { get; init; }

    /// <summary>Evidence rows listed per finding type; the total is always shown.</summary>
    public int EvidenceRowsPerRule { get; init; } = 50;

    /// <summary>Flows detailed (request line, headers, decoded values) for the evidence rows to link to.</summary>
    public int FlowDetails { get; init; } = 300;

    /// <summary>Decoded values listed per detailed flow.</summary>
    public int DecodedValuesPerFlow { get; init; } = 200;

    /// <summary>Decoded values longer than this are cut, with an ellipsis.</summary>
    public int ValueLength { get; init; } = 400;
}

/// <summary>
/// Computes an <see cref="AuditReport"/> from the store in one pass over the findings (constant memory in the number
/// of findings, apart from the capped evidence), then loads and decodes the few flows the evidence links to.
/// </summary>
public sealed class AuditReportBuilder(IAuditStore store, ReportOptions options)
{
    private static readonly int[] BucketMinutes = [1, 2, 5, 10, 15, 30, 60, 180, 360, 720, 1440];
    private const int MaxBuckets = 180;

    public AuditReport Build(string miauditVersion, DateTimeOffset generatedAt)
    {
        var filter = options.Filter;
        var sessions = store.Sessions.List()
            .Where(s => filter.SessionIds.Count == 0 || filter.SessionIds.Contains(s.Id))
            .ToList();

        var tally = new FindingTally(options.EvidenceRowsPerRule);
        foreach (var row in store.Queries().Findings(filter))
        {
            tally.Add(row);
        }

        tally.Complete();
        var profiles = ReadProfiles(sessions);
        // The one policy of every output: identifiers in all their forms, plain, hashed or encoded.
        var masking = options.Unmask ? MaskingPolicy.None : store.StoredMasking();
        var flows = DetailFlows(tally, masking);
        var detailed = flows.Select(f => f.FlowId).ToHashSet();

        // The audit's span: its sessions, stretched by flagged flows outside them (an unclosed session, an import).
        var times = sessions.SelectMany(s => new[] { s.StartedAt, s.EndedAt ?? s.StartedAt }).ToList();
        if (tally.FlaggedFlows > 0)
        {
            times.AddRange([tally.FirstFlagged, tally.LastFlagged]);
        }

        return new AuditReport
        {
            MiAuditVersion = miauditVersion,
            GeneratedAt = generatedAt,
            Sessions = sessions
                .Select(s => new ReportSession(s.Id, s.Label, s.StartedAt, s.EndedAt, s.Flows, tally.FlaggedFlowsOf(s.Id), tally.FindingsOf(s.Id), s.RuleSetHash, s.MiAuditVersion))
                .ToList(),
            Profiles = profiles.Select(p => new ReportProfile(
                p.Profile.Name ?? "unnamed profile",
                p.Profile.Identifiers.Select(i => i with { Value = masking.Value("device-id", i.Value) }).ToList(),
                p.Profile.Attributes,
                p.Sessions)).ToList(),
            From = times.Count == 0 ? null : times.Min(),
            To = times.Count == 0 ? null : times.Max(),
            Masked = !options.Unmask,
            FilterDescription = Describe(filter),
            FlaggedFlows = tally.FlaggedFlows,
            Findings = tally.Findings,
            ByCategory = tally.ByCategory(),
            Destinations = tally.Destinations(),
            Comparison = tally.Comparison(),
            Evidence = tally.Evidence((row, category) => row with
            {
                Value = masking.Value(category, row.Value),
                Snippet = masking.Text(row.Snippet),
                HasDetail = detailed.Contains(row.FlowId),
            }),
            Flows = flows,
            Timeline = tally.Timeline(BucketSize(tally)),
            NotDecrypted = store.Queries().NotDecrypted(filter),
        };
    }

    private List<FlowDetail> DetailFlows(FindingTally tally, MaskingPolicy masking)
    {
        var queries = store.Queries();
        var details = new List<FlowDetail>();
        foreach (var flowId in tally.EvidenceFlowIds.Take(options.FlowDetails))
        {
            if (queries.FlowById(flowId) is not { } stored)
            {
                continue;
            }

            var flow = stored.Flow;
            var leaves = RequestDecoder.Decode(flow).Leaves.Where(l => !l.Expanded).ToList();
            details.Add(new FlowDetail(
                flowId,
                flow.StartedAt,
                stored.SessionLabel,
                flow.Method,
                masking.Text(flow.Url),
                flow.StatusCode,
                flow.RequestHeaders.Select(h => (h.Name, Shorten(masking.Text(h.Value)))).ToList(),
                flow.RequestBody.WireLength,
                leaves.Take(options.DecodedValuesPerFlow).Select(l => (l.Path.ToString(), Shorten(masking.Text(l.Text)))).ToList(),
                leaves.Count > options.DecodedValuesPerFlow,
                stored.Findings.Select(f => (f.RuleId, f.LeafPath)).ToList()));
        }

        return details;
    }

    private string Shorten(string text) => text.Length <= options.ValueLength ? text : text[..options.ValueLength] + "…";

    private static List<(DeviceProfile Profile, List<string> Sessions)> ReadProfiles(List<AuditSession> sessions)
    {
        var profiles = new List<(DeviceProfile, List<string>)>();
        foreach (var group in sessions.Where(s => s.DeviceProfile is not null).GroupBy(s => s.DeviceProfile!))
        {
            DeviceProfile profile;
            try
            {
                profile = DeviceProfile.Parse(group.Key, "the stored device profile");
            }
            catch (ConfigurationFileException e)
            {
                // Written by an older or newer MiAudit: say so instead of dropping the sessions' profile silently.
                profile = new DeviceProfile($"unreadable profile ({e.Message})", [], []);
            }

            profiles.Add((profile, group.Select(s => s.Label).Distinct().ToList()));
        }

        return profiles;
    }

    /// <summary>A minute, or the smallest step that keeps the chart readable for a long audit.</summary>
    private static TimeSpan BucketSize(FindingTally tally)
    {
        var span = tally.LastFlagged - tally.FirstFlagged;
        return TimeSpan.FromMinutes(BucketMinutes.FirstOrDefault(m => span.TotalMinutes / m < MaxBuckets, BucketMinutes[^1]));
    }

    private static string Describe(FindingFilter filter)
    {
        var parts = new List<string>();
        void Add(string name, object? value)
        {
            if (value is not null)
            {
                parts.Add($"{name} {value}");
            }
        }

        Add("rule", filter.RuleId);
        Add("category", filter.Category);
        Add("host", filter.Host);
        Add("min severity", filter.MinSeverity?.ToName());
        Add("since", filter.Since is { } since ? Timestamps.Format(since) : null);
        Add("until", filter.Until is { } until ? Timestamps.Format(until) : null);
        return string.Join(", ", parts);
    }

    /// <summary>The one pass over the findings: counts, destinations, comparison, timeline and the first evidence rows.</summary>
    private sealed class FindingTally(int evidenceRowsPerRule)
    {
        private readonly PublicSuffixList _sites = PublicSuffixList.Default;
        private readonly Dictionary<(string, Severity), (long Flows, long Findings)> _byCategory = [];
        private readonly Dictionary<string, DestinationTally> _destinations = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<(string Rule, string Site, string MatchedAs), LeakTally> _leaks = [];
        private readonly Dictionary<string, RuleTally> _rules = new(StringComparer.Ordinal);
        private readonly Dictionary<long, (long Flows, long Findings)> _sessions = [];
        private readonly Dictionary<long, Dictionary<string, long>> _minutes = [];
        private readonly List<long> _evidenceFlowIds = [];
        private readonly HashSet<long> _evidenceFlowSet = [];

        // Findings arrive grouped by flow: what one flow contributed is gathered, then counted once.
        private FindingRow? _flow;
        private readonly HashSet<(string Category, Severity Severity)> _flowKinds = [];
        private readonly HashSet<string> _flowCategories = new(StringComparer.Ordinal);
        private int _flowFindings;

        public long FlaggedFlows { get; private set; }

        public long Findings { get; private set; }

        public DateTimeOffset FirstFlagged { get; private set; } = DateTimeOffset.MaxValue;

        public DateTimeOffset LastFlagged { get; private set; } = DateTimeOffset.MinValue;


        public IEnumerable<long> EvidenceFlowIds => _evidenceFlowIds;

        public void Add(FindingRow row)
        {
            if (_flow is null || _flow.FlowId != row.FlowId)
            {
                CompleteFlow();
                _flow = row;
            }

            Findings++;
            _flowFindings++;
            var kind = (row.Category, row.Severity);
            _flowKinds.Add(kind);
            var (kindFlows, kindFindings) = _byCategory.GetValueOrDefault(kind);
            _byCategory[kind] = (kindFlows, kindFindings + 1);
            _flowCategories.Add(row.Category);
            var site = _sites.RegistrableDomain(row.Host);
            var destination = _destinations.TryGetValue(site, out var d) ? d : _destinations[site] = new DestinationTally();
            destination.Findings++;
            destination.Categories.Add(row.Category);
            destination.Hosts.Add(row.Host);

            var leakKey = (row.RuleId, site, MatchKind(row.MatchedAs));
            var leak = _leaks.TryGetValue(leakKey, out var l) ? l : _leaks[leakKey] = new LeakTally(row);
            leak.ByLabel[row.Session] = leak.ByLabel.GetValueOrDefault(row.Session) + 1;
            leak.Values.Add(row.Value);

            var rule = _rules.TryGetValue(row.RuleId, out var r) ? r : _rules[row.RuleId] = new RuleTally(row);
            rule.Total++;
            if (rule.Rows.Count < evidenceRowsPerRule)
            {
                rule.Rows.Add(new EvidenceRow(row.FlowId, row.Time, row.Session, row.Host, row.Value, row.MatchedAs, row.LeafPath, row.Snippet, false));
                if (_evidenceFlowSet.Add(row.FlowId))
                {
                    _evidenceFlowIds.Add(row.FlowId);
                }
            }
        }

        public void Complete() => CompleteFlow();

        private void CompleteFlow()
        {
            if (_flow is not { } flow)
            {
                return;
            }

            FlaggedFlows++;
            var time = flow.Time;
            FirstFlagged = time < FirstFlagged ? time : FirstFlagged;
            LastFlagged = time > LastFlagged ? time : LastFlagged;
            foreach (var kind in _flowKinds)
            {
                var (flows, findings) = _byCategory.GetValueOrDefault(kind);
                _byCategory[kind] = (flows + 1, findings);
            }

            var minute = time.ToUnixTimeSeconds() / 60;
            var categories = _minutes.TryGetValue(minute, out var c) ? c : _minutes[minute] = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var category in _flowCategories)
            {
                categories[category] = categories.GetValueOrDefault(category) + 1;
            }

            _destinations[_sites.RegistrableDomain(flow.Host)].Flows++;
            var session = _sessions.GetValueOrDefault(flow.SessionId);
            _sessions[flow.SessionId] = (session.Flows + 1, session.Findings + _flowFindings);

            _flowKinds.Clear();
            _flowCategories.Clear();
            _flowFindings = 0;
            _flow = null;
        }

        /// <summary>
        /// What a finding is evidence of, without its particulars: "visited URL (navigation at 09:00:01)" compares as
        /// "visited URL", so the same kind of leak lines up across sessions.
        /// </summary>
        /// <summary>How it matched, without the details that differ per finding: the SDK field it sits in, the visit's time.</summary>
        private static string MatchKind(string matchedAs)
        {
            var field = matchedAs.IndexOf(" — ", StringComparison.Ordinal);
            matchedAs = field > 0 ? matchedAs[..field] : matchedAs;
            var detail = matchedAs.EndsWith(')') ? matchedAs.LastIndexOf(" (", StringComparison.Ordinal) : -1;
            return detail > 0 ? matchedAs[..detail] : matchedAs;
        }

        public long FlaggedFlowsOf(long sessionId) => _sessions.GetValueOrDefault(sessionId).Flows;

        public long FindingsOf(long sessionId) => _sessions.GetValueOrDefault(sessionId).Findings;

        public List<CategoryCount> ByCategory() => _byCategory
            .Select(c => new CategoryCount(c.Key.Item1, c.Key.Item2, c.Value.Flows, c.Value.Findings))
            .OrderByDescending(c => c.Severity).ThenByDescending(c => c.FlaggedFlows).ThenBy(c => c.Category, StringComparer.Ordinal)
            .ToList();

        public List<Destination> Destinations() => _destinations
            .Select(d => new Destination(d.Key, d.Value.Flows, d.Value.Findings, [.. d.Value.Categories.Order(StringComparer.Ordinal)], [.. d.Value.Hosts.Order(StringComparer.Ordinal)]))
            .OrderByDescending(d => d.FlaggedFlows).ThenBy(d => d.Site, StringComparer.Ordinal)
            .ToList();

        public List<ComparedLeak> Comparison() => _leaks
            .Select(l => new ComparedLeak(l.Key.Rule, l.Value.Title, l.Value.Category, l.Value.Severity, l.Key.Site, l.Key.MatchedAs, l.Value.ByLabel, l.Value.Values.Count))
            .OrderByDescending(l => l.FindingsByLabel.Count).ThenByDescending(l => l.Severity).ThenBy(l => l.RuleId, StringComparer.Ordinal).ThenBy(l => l.Site, StringComparer.Ordinal)
            .ToList();

        public List<EvidenceGroup> Evidence(Func<EvidenceRow, string, EvidenceRow> finish) => _rules
            .Select(r => new EvidenceGroup(r.Key, r.Value.Title, r.Value.Category, r.Value.Severity, r.Value.Total, r.Value.Rows.Select(row => finish(row, r.Value.Category)).ToList()))
            .OrderByDescending(g => g.Severity).ThenByDescending(g => g.Total).ThenBy(g => g.RuleId, StringComparer.Ordinal)
            .ToList();

        public ReportTimeline Timeline(TimeSpan bucketSize)
        {
            var categories = _minutes.Values.SelectMany(m => m.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            if (FlaggedFlows == 0)
            {
                return new ReportTimeline(bucketSize, categories, []);
            }

            var width = (long)bucketSize.TotalMinutes;
            var first = FirstFlagged.ToUnixTimeSeconds() / 60 / width;
            var last = LastFlagged.ToUnixTimeSeconds() / 60 / width;
            var buckets = new List<TimelineBucket>();
            for (var bucket = first; bucket <= last; bucket++)
            {
                var counts = new Dictionary<string, long>(StringComparer.Ordinal);
                for (var minute = bucket * width; minute < (bucket + 1) * width; minute++)
                {
                    foreach (var (category, count) in _minutes.GetValueOrDefault(minute) ?? [])
                    {
                        counts[category] = counts.GetValueOrDefault(category) + count;
                    }
                }

                buckets.Add(new TimelineBucket(DateTimeOffset.FromUnixTimeSeconds(bucket * width * 60), counts));
            }

            return new ReportTimeline(bucketSize, categories, buckets);
        }
    }

    private sealed class DestinationTally
    {
        public long Flows { get; set; }

        public long Findings { get; set; }

        public HashSet<string> Categories { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    private sealed class LeakTally(FindingRow first)
    {
        public string Title { get; } = first.Title;

        public string Category { get; } = first.Category;

        public Severity Severity { get; } = first.Severity;

        public Dictionary<string, long> ByLabel { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Values { get; } = new(StringComparer.Ordinal);
    }

    private sealed class RuleTally(FindingRow first)
    {
        public string Title { get; } = first.Title;

        public string Category { get; } = first.Category;

        public Severity Severity { get; } = first.Severity;

        public long Total { get; set; }

        public List<EvidenceRow> Rows { get; } = [];
    }
}
