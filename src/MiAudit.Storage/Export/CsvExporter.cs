using System.Globalization;
using CsvHelper;
using MiAudit.Detection.Findings;
using MiAudit.Storage.Reading;

namespace MiAudit.Storage.Export;

/// <summary>
/// RFC 4180 CSV, UTF-8, one row per finding with its flow's columns. Cells that a spreadsheet would run as a formula
/// (starting with <c>= + - @</c>, tab or CR) are prefixed with <c>'</c>, as OWASP recommends.
/// </summary>
public static class CsvExporter
{
    public static readonly string[] Columns =
        ["time", "session", "client", "method", "url", "host", "status", "rule", "severity", "category", "value", "matched_as", "leaf_path", "transforms", "snippet", "flow_id"];

    private static readonly CsvWriterOptions Options = new()
    {
        Injection = CsvInjection.Escape,
        InjectionCharacters = "=+-@\t\r",
        InjectionEscape = '\'',
        NewLine = "\r\n",
    };

    public static long Write(IEnumerable<FindingRow> rows, TextWriter output, Action<long>? progress = null)
    {
        using var csv = CsvWriter.Create(output, Options, leaveOpen: true);
        csv.WriteRecord(Columns);
        long count = 0;
        foreach (var row in rows)
        {
            csv.WriteField(row.TimeText);
            csv.WriteField(row.Session);
            csv.WriteField(row.Client);
            csv.WriteField(row.Method);
            csv.WriteField(row.Url);
            csv.WriteField(row.Host);
            csv.WriteField(row.Status?.ToString(CultureInfo.InvariantCulture) ?? "");
            csv.WriteField(row.RuleId);
            csv.WriteField(row.Severity.ToName());
            csv.WriteField(row.Category);
            csv.WriteField(row.Value);
            csv.WriteField(row.MatchedAs);
            csv.WriteField(row.LeafPath);
            csv.WriteField(row.TransformsText);
            csv.WriteField(row.Snippet);
            csv.WriteField(row.FlowId.ToString(CultureInfo.InvariantCulture));
            csv.EndRecord();
            if (++count % 10_000 == 0)
            {
                progress?.Invoke(count);
            }
        }

        return count;
    }
}
