namespace MiAudit.Reporting.Tests;

public class AuditReportBuilderTests(AuditedPhone phone) : IClassFixture<AuditedPhone>
{
    private readonly AuditReport _report = ReportBuilding.Build(phone);

    [Fact]
    public void Totals_are_what_detection_stored_and_add_up_per_session()
    {
        Assert.True(phone.FlaggedFlows >= 6, $"the fixture should flag every upload, flagged {phone.FlaggedFlows}");
        Assert.Equal(phone.FlaggedFlows, _report.FlaggedFlows);
        Assert.Equal(phone.Findings, _report.Findings);
        Assert.Equal(["normal", "incognito"], _report.Labels);
        Assert.Equal(_report.FlaggedFlows, _report.Sessions.Sum(s => s.FlaggedFlows));
        Assert.Equal(_report.Findings, _report.Sessions.Sum(s => s.Findings));
        Assert.All(_report.Sessions, s => Assert.Equal(6, s.Flows)); // three page loads and three uploads each
        Assert.Equal(AuditedPhone.Start, _report.From);
        Assert.Equal(_report.Sessions[1].EndedAt, _report.To);
    }

    [Fact]
    public void Comparison_shows_the_android_id_persisting_in_incognito_and_the_url_only_in_normal_mode()
    {
        var androidId = Assert.Single(_report.Comparison, l => l.Category == "device-id" && l.MatchedAs == "android_id");
        Assert.Equal("miui.com", androidId.Site);
        Assert.True(androidId.SeenInAll(_report.Labels));
        Assert.True(androidId.FindingsByLabel["incognito"] >= 3);

        var url = Assert.Single(_report.Comparison, l => l.RuleId == "visited-url-leak");
        Assert.Equal(3, url.FindingsByLabel["normal"]);
        Assert.False(url.FindingsByLabel.ContainsKey("incognito"));
        Assert.False(url.SeenInAll(_report.Labels));
        Assert.Equal(3, url.DistinctValues);

        // Leaks seen in every session come first: they are the headline.
        Assert.True(_report.Comparison[0].SeenInAll(_report.Labels));
    }

    [Fact]
    public void Destinations_are_registrable_domains_with_the_kinds_of_data_they_received()
    {
        var miui = Assert.Single(_report.Destinations);
        Assert.Equal("miui.com", miui.Site);
        Assert.Equal([AuditedPhone.TelemetryHost], miui.Hosts);
        Assert.Equal(["device-id", "telemetry", "url-leak"], miui.Categories);
        Assert.Equal(_report.FlaggedFlows, miui.FlaggedFlows);
        Assert.Equal(_report.Findings, miui.Findings);
    }

    [Fact]
    public void Category_counts_cover_every_flagged_flow_and_finding()
    {
        Assert.Equal(_report.Findings, _report.ByCategory.Sum(c => c.Findings));
        Assert.Equal(_report.FlaggedFlows, _report.ByCategory.Where(c => c.Category == "telemetry").Sum(c => c.FlaggedFlows));
        Assert.Equal(3, _report.ByCategory.Where(c => c.Category == "url-leak").Sum(c => c.FlaggedFlows));
    }

    [Fact]
    public void Timeline_has_a_bucket_per_minute_including_quiet_ones()
    {
        var timeline = _report.Timeline;
        Assert.Equal(TimeSpan.FromMinutes(1), timeline.BucketSize);
        Assert.Equal(_report.FlaggedFlows, timeline.Buckets.Sum(b => b.FlaggedFlowsByCategory.GetValueOrDefault("telemetry")));
        Assert.Equal(3, timeline.Buckets.Sum(b => b.FlaggedFlowsByCategory.GetValueOrDefault("url-leak")));
        Assert.Contains(timeline.Buckets, b => b.Total == 0); // the half hour between the sessions
        Assert.Equal(timeline.Buckets.Count, (int)((timeline.Buckets[^1].Start - timeline.Buckets[0].Start).TotalMinutes) + 1);
    }

    [Fact]
    public void Identifiers_are_masked_in_every_part_unless_unmasked()
    {
        Assert.True(_report.Masked);
        Assert.DoesNotContain(AuditedPhone.AndroidId, ReportBuilding.Html(_report));
        Assert.DoesNotContain(AuditedPhone.AndroidId, ReportBuilding.Markdown(_report));
        Assert.DoesNotContain(AuditedPhone.AndroidIdMd5, ReportBuilding.Html(_report)); // a hash identifies the phone too
        Assert.DoesNotContain(AuditedPhone.AndroidIdMd5[..16], ReportBuilding.Html(_report));
        Assert.Contains("5e1f********2468", ReportBuilding.Html(_report));
        Assert.Equal("5e1f********2468", _report.Profiles.Single().Identifiers.Single().Value);

        var unmasked = ReportBuilding.Build(phone, new ReportOptions { Unmask = true });
        Assert.Contains(AuditedPhone.AndroidId, unmasked.Profiles.Single().Identifiers.Single().Value);
        Assert.Contains(unmasked.Evidence.SelectMany(g => g.Rows), r => r.Value == AuditedPhone.AndroidId);
        Assert.Contains(unmasked.Flows.SelectMany(f => f.Headers), h => h.Value == AuditedPhone.AndroidId);
        Assert.Contains(AuditedPhone.AndroidIdMd5, ReportBuilding.Html(unmasked));
    }

    [Fact]
    public void Flow_details_list_the_decoded_values_with_their_paths()
    {
        var upload = _report.Flows.First(f => f.Session == "normal" && f.Method == "POST");
        Assert.Contains(upload.Decoded, d => d.Path == "body.form[data] → base64 → json.properties.$url" && d.Value == "https://news.example.com/story-0");
        Assert.Contains(upload.Decoded, d => d.Path.EndsWith("json.properties.note", StringComparison.Ordinal) && d.Value == AuditedPhone.Hostile);
        Assert.Contains(upload.Findings, f => f.RuleId == "visited-url-leak" && f.LeafPath.EndsWith("$url", StringComparison.Ordinal));
        Assert.Equal("https://sa.api.intl.miui.com/sa?project=mibrowser", upload.Url);
    }

    [Fact]
    public void Evidence_rows_and_flow_details_are_capped_but_totals_are_not()
    {
        var capped = ReportBuilding.Build(phone, new ReportOptions { EvidenceRowsPerRule = 1, FlowDetails = 1 });

        Assert.All(capped.Evidence, g => Assert.Single(g.Rows));
        Assert.Equal(_report.Findings, capped.Evidence.Sum(g => g.Total));
        var detailed = Assert.Single(capped.Flows);
        Assert.All(capped.Evidence.SelectMany(g => g.Rows), r => Assert.Equal(r.FlowId == detailed.FlowId, r.HasDetail));
        Assert.Contains("showing the first 1 of", ReportBuilding.Html(capped));
    }

    [Fact]
    public void A_filter_narrows_every_part_and_is_named_in_the_header()
    {
        using var connection = Storage.AuditDatabase.Open(phone.Database, readOnly: true);
        var incognito = new Storage.SessionStore(connection).Resolve("incognito");
        var report = ReportBuilding.Build(phone, new ReportOptions { Filter = new() { SessionIds = incognito, MinSeverity = Detection.Findings.Severity.High } });

        Assert.Equal(["incognito"], report.Labels);
        Assert.All(report.Evidence, g => Assert.True(g.Severity >= Detection.Findings.Severity.High));
        Assert.DoesNotContain(report.Comparison, l => l.RuleId == "visited-url-leak");
        Assert.Equal("min severity high", report.FilterDescription);
        Assert.True(report.FlaggedFlows is > 0 and <= 3);
    }
}
