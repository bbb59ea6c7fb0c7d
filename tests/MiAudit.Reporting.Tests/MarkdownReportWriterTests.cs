using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace MiAudit.Reporting.Tests;

public class MarkdownReportWriterTests(AuditedPhone phone) : IClassFixture<AuditedPhone>
{
    private readonly AuditReport _report = ReportBuilding.Build(phone);

    private MarkdownDocument Parse() =>
        Markdig.Markdown.Parse(ReportBuilding.Markdown(_report), new MarkdownPipelineBuilder().UsePipeTables().Build());

    [Fact]
    public void Every_table_parses_with_as_many_cells_per_row_as_headers()
    {
        var tables = Parse().Descendants<Table>().ToList();

        // summary, destinations, comparison, timeline, one per finding type, two per detailed flow
        Assert.Equal(4 + _report.Evidence.Count + (2 * _report.Flows.Count), tables.Count);
        Assert.All(tables, table =>
        {
            var width = ((TableRow)table[0]).Count;
            Assert.All(table.Cast<TableRow>(), row => Assert.Equal(width, row.Count));
        });
    }

    [Fact]
    public void Captured_values_cannot_inject_markup()
    {
        var document = Parse();

        Assert.Empty(document.Descendants<HtmlInline>());
        Assert.Empty(document.Descendants<HtmlBlock>());
        Assert.Contains(document.Descendants<CodeInline>(), code => code.Content == AuditedPhone.Hostile.Replace("|", "\\|"));
    }

    [Fact]
    public void The_evidence_tables_hold_every_shown_row()
    {
        var evidence = Parse().Descendants<Table>().Skip(4).Take(_report.Evidence.Count).ToList();

        Assert.Equal(_report.Evidence.Select(g => g.Rows.Count + 1), evidence.Select(t => t.Count));
    }
}
