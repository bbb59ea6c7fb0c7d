using MiAudit.Detection.Findings;

namespace MiAudit.Storage.Reading;

/// <summary>
/// One finding with the flow columns a report needs: one row of the CSV export. The time and the transforms are kept
/// as stored and parsed only when asked for: exports of a million rows write them as text anyway.
/// </summary>
public sealed record FindingRow(
    long FindingId,
    long FlowId,
    string TimeText,
    string Session,
    string Client,
    string Method,
    string Url,
    string Host,
    int? Status,
    string RuleId,
    string Title,
    Severity Severity,
    string Category,
    string Value,
    string MatchedAs,
    string LeafPath,
    string TransformsJson,
    string Snippet,
    long SessionId)
{
    public DateTimeOffset Time => Timestamps.Parse(TimeText);

    public IReadOnlyList<string> Transforms => StringArrayJson.Parse(TransformsJson);

    /// <summary>The transforms joined with arrows, as the CSV shows them.</summary>
    public string TransformsText => StringArrayJson.Join(TransformsJson, " → ");
}
