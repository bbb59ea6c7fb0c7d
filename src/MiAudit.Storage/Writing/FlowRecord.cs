using MiAudit.Detection.Findings;
using MiAudit.Flows;

namespace MiAudit.Storage.Writing;

/// <summary>What is stored for one flow: the exchange, what detection found, and whether its bodies are kept.</summary>
/// <param name="AnalysisPending">
/// Stored before detection ran (its findings are not known yet): bodies are kept, and <c>miaudit scan</c> analyses it.
/// </param>
public sealed record FlowRecord(Flow Flow, IReadOnlyList<Finding> Findings, IReadOnlyList<string> DecodeLimits, bool KeepBodies, bool AnalysisPending = false)
{
    /// <summary>A flow kept as it was seen, to be analysed later.</summary>
    public static FlowRecord Unanalysed(Flow flow) => new(flow, [], [], KeepBodies: true, AnalysisPending: true);
}
