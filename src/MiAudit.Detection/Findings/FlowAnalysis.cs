namespace MiAudit.Detection.Findings;

/// <summary>What detection concluded about one flow.</summary>
public sealed record FlowAnalysis(IReadOnlyList<Finding> Findings, IReadOnlyList<string> LimitsReached)
{
    public static readonly FlowAnalysis None = new([], []);

    public Severity? HighestSeverity => Findings.Count == 0 ? null : Findings.Max(f => f.Severity);

    /// <summary>True when at least one finding is at or above <paramref name="threshold"/>.</summary>
    public bool IsFlagged(Severity threshold) => Findings.Any(f => f.Severity >= threshold);
}
