using MiAudit.Detection.Findings;
using MiAudit.Flows;

namespace MiAudit.Storage.Writing;

/// <summary>What is stored for one flow: the exchange, what detection found, and whether its bodies are kept.</summary>
public sealed record FlowRecord(Flow Flow, IReadOnlyList<Finding> Findings, IReadOnlyList<string> DecodeLimits, bool KeepBodies);
