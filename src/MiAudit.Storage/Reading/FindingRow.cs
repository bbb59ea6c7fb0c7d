using MiAudit.Detection.Findings;

namespace MiAudit.Storage.Reading;

/// <summary>One finding with the flow columns a report needs: one row of the CSV export.</summary>
public sealed record FindingRow(
    long FindingId,
    long FlowId,
    DateTimeOffset Time,
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
    IReadOnlyList<string> Transforms,
    string Snippet);
