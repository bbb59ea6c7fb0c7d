using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace MiAudit.Reporting.Tests;

public class HtmlReportWriterTests(AuditedPhone phone) : IClassFixture<AuditedPhone>
{
    private readonly AuditReport _report = ReportBuilding.Build(phone);

    private IDocument Parse() => new HtmlParser().ParseDocument(ReportBuilding.Html(_report));

    [Fact]
    public void The_page_is_self_contained_and_runs_no_script()
    {
        var document = Parse();

        Assert.Empty(document.QuerySelectorAll("script, link, img, iframe, object, embed"));
        Assert.All(document.QuerySelectorAll("[href]"), a => Assert.StartsWith("#", a.GetAttribute("href")));
        Assert.Empty(document.QuerySelectorAll("[src]"));
        Assert.DoesNotContain(document.All, e => e.Attributes.Any(a => a.Name.StartsWith("on", StringComparison.Ordinal)));
        Assert.DoesNotContain("url(", document.QuerySelector("style")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Captured_markup_is_shown_as_text()
    {
        var document = Parse();

        // The telemetry payload carried an <img onerror> tag: it must be readable, and inert.
        Assert.Contains(document.QuerySelectorAll(".decoded td"), td => td.TextContent == AuditedPhone.Hostile);
    }

    [Fact]
    public void Decoded_values_are_grouped_under_the_container_they_were_decoded_from()
    {
        var upload = Parse().QuerySelectorAll("article.flow").First(a => a.QuerySelector(".url")!.TextContent.Contains("/sa?", StringComparison.Ordinal));
        var rows = upload.QuerySelectorAll(".decoded tr").ToList();

        var container = rows.FindIndex(r => r.ClassName == "container" && r.TextContent == "body.form[data] → base64");
        Assert.True(container >= 0, "a container row for the base64 form field");
        var url = rows.Skip(container + 1).TakeWhile(r => r.ClassName != "container").Single(r => r.QuerySelector("th")!.TextContent == "json.properties.$url");
        Assert.Equal("body.form[data] → base64 → json.properties.$url", url.GetAttribute("title"));
        Assert.Contains(rows, r => r.QuerySelector("th")!.TextContent == "query[project]"); // no decoding step, no container
    }

    [Fact]
    public void Key_numbers_are_in_the_document()
    {
        var document = Parse();

        Assert.Equal(phone.FlaggedFlows.ToString(System.Globalization.CultureInfo.InvariantCulture), document.GetElementById("flagged-flows")!.TextContent);
        Assert.Equal(phone.Findings.ToString(System.Globalization.CultureInfo.InvariantCulture), document.GetElementById("findings-total")!.TextContent);
        Assert.Equal(2, document.QuerySelectorAll("#sessions li").Length);
        Assert.Equal("miui.com", document.QuerySelector("#destinations tbody tr")!.GetAttribute("data-site"));
        Assert.Equal(_report.Timeline.Buckets.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), document.QuerySelector("svg.timeline")!.GetAttribute("data-buckets"));
        Assert.Equal(_report.Timeline.Buckets.Sum(b => b.FlaggedFlowsByCategory.Count), document.QuerySelectorAll("svg.timeline rect").Length);
    }

    [Fact]
    public void The_comparison_marks_leaks_that_persist_across_sessions()
    {
        var document = Parse();
        var headers = document.QuerySelectorAll("#comparison-table thead th").Select(th => th.TextContent).ToList();
        Assert.Equal(["Leak", "Sent to", "Matched as", "normal", "incognito", "In every session", "Distinct values"], headers);

        var androidId = document.QuerySelectorAll("#comparison-table tbody tr").Single(tr => tr.Children[2].TextContent == "android_id");
        Assert.Equal("persists", androidId.ClassName);
        Assert.Equal("yes", androidId.Children[5].TextContent);
        var url = document.QuerySelector("#comparison-table tr[data-rule=visited-url-leak]")!;
        Assert.Equal(["3", "—", "no"], url.Children.Skip(3).Take(3).Select(td => td.TextContent));
    }

    [Fact]
    public void Every_evidence_link_leads_to_a_flow_and_every_flow_to_its_rules()
    {
        var document = Parse();
        var links = document.QuerySelectorAll("a[href^='#']").Select(a => a.GetAttribute("href")![1..]).ToList();

        Assert.Contains(links, l => l.StartsWith("flow-", StringComparison.Ordinal));
        Assert.Contains(links, l => l.StartsWith("rule-", StringComparison.Ordinal));
        Assert.All(links, id => Assert.NotNull(document.GetElementById(id)));
        Assert.Equal(_report.Evidence.Count, document.QuerySelectorAll("section.rule").Length);
    }
}
