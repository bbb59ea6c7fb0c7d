namespace MiAudit.Flows;

/// <summary>Why an exchange did not complete normally.</summary>
/// <param name="Kind">A short stable key such as <c>upstream-refused</c> or <c>upstream-certificate</c>.</param>
/// <param name="Message">A human-readable reason.</param>
public sealed record FlowError(string Kind, string Message);
