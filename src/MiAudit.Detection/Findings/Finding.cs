namespace MiAudit.Detection.Findings;

/// <summary>
/// One piece of evidence: which rule matched, what value, where in the request, and through which decoding steps,
/// so a researcher can show exactly why a flow was flagged.
/// </summary>
public sealed record Finding
{
    public required string RuleId { get; init; }

    public required string Title { get; init; }

    public required Severity Severity { get; init; }

    /// <summary><c>telemetry</c>, <c>url-leak</c>, <c>device-id</c>, <c>fingerprint</c>, …</summary>
    public required string Category { get; init; }

    /// <summary>The value that matched, as found after decoding (a URL, an identifier, a host and path).</summary>
    public required string Value { get; init; }

    /// <summary>What the value is evidence of, e.g. "sha256 of android_id" or "visited URL without scheme".</summary>
    public string MatchedAs { get; init; } = "";

    /// <summary>Where the value sits, with its transform chain: <c>body.form[data_list] → base64 → gzip → json[0].properties.$url</c>.</summary>
    public required string LeafPath { get; init; }

    /// <summary>The decoding steps alone, in order: <c>base64</c>, <c>gzip</c>, <c>json</c>.</summary>
    public IReadOnlyList<string> Transforms { get; init; } = [];

    /// <summary>Decoded text around the match.</summary>
    public string Snippet { get; init; } = "";
}
