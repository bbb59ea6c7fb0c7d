using System.Text.Json;
using MiAudit.Detection.Findings;

namespace MiAudit.Storage.Export;

/// <summary>A finding as a JSON object, the same in the HAR export's <c>_miaudit</c> and in the web UI.</summary>
public static class FindingJson
{
    public static void Write(Utf8JsonWriter json, Finding finding)
    {
        json.WriteStartObject();
        json.WriteString("rule", finding.RuleId);
        json.WriteString("title", finding.Title);
        json.WriteString("severity", finding.Severity.ToName());
        json.WriteString("category", finding.Category);
        json.WriteString("value", finding.Value);
        json.WriteString("matchedAs", finding.MatchedAs);
        json.WriteString("leafPath", finding.LeafPath);
        json.WriteString("snippet", finding.Snippet);
        json.WriteEndObject();
    }
}
