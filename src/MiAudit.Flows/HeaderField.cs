namespace MiAudit.Flows;

/// <summary>One header line as the client or server sent it (repeated names stay separate entries).</summary>
public readonly record struct HeaderField(string Name, string Value);
