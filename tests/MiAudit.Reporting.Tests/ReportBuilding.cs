using MiAudit.Reporting.Html;
using MiAudit.Reporting.Markdown;
using MiAudit.Storage;

namespace MiAudit.Reporting.Tests;

/// <summary>Builds and writes reports from the test store.</summary>
internal static class ReportBuilding
{
    public static AuditReport Build(AuditedPhone phone, ReportOptions? options = null)
    {
        using var store = AuditStores.Open(phone.Database, readOnly: true);
        return new AuditReportBuilder(store, options ?? new ReportOptions()).Build("0.1.0-test", AuditedPhone.Start.AddHours(2));
    }

    public static string Html(AuditReport report)
    {
        var text = new StringWriter();
        HtmlReportWriter.Write(report, text);
        return text.ToString();
    }

    public static string Markdown(AuditReport report)
    {
        var text = new StringWriter();
        MarkdownReportWriter.Write(report, text);
        return text.ToString();
    }
}
