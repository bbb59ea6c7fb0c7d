using System.Text.RegularExpressions;
using MiAudit.Detection.Findings;

namespace MiAudit.Detection.Rules;

/// <summary>What a rule looks for; each kind is served by one detector.</summary>
public enum RuleKind
{
    /// <summary>A telemetry endpoint, by host, path, method and parameter shape.</summary>
    Endpoint,

    /// <summary>A page the client visited, sent to another site.</summary>
    VisitedUrl,

    /// <summary>A visited page's full URL in the Referer header of a request to another site.</summary>
    RefererUrl,

    /// <summary>A search term the client typed into a search engine, sent to another site.</summary>
    SearchTerm,

    /// <summary>An identifier from the device profile, in any of its encoded or hashed forms.</summary>
    DeviceIdentifier,

    /// <summary>A device attribute from the profile (model, versions): fingerprinting data.</summary>
    DeviceAttribute,

    /// <summary>A value shaped like a device identifier in an identifier-named field (no profile needed; unconfirmed).</summary>
    IdentifierFormat,

    /// <summary>A telemetry payload encrypted by the SDK: the endpoint is evidence, the content cannot be read.</summary>
    EncryptedPayload,

    /// <summary>Literal values or regular expressions of the researcher's own (honey values).</summary>
    Value,
}

/// <summary>One rule: what it looks for and how a finding of it is labelled.</summary>
public sealed record Rule
{
    public required string Id { get; init; }

    public required RuleKind Kind { get; init; }

    public required string Title { get; init; }

    public required string Category { get; init; }

    public required Severity Severity { get; init; }

    public string Description { get; init; } = "";

    public bool Enabled { get; init; } = true;

    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>Where the rule was defined: <c>builtin</c> or <c>file:line</c>.</summary>
    public string Source { get; init; } = "builtin";

    /// <summary>For <see cref="RuleKind.Endpoint"/>.</summary>
    public EndpointPattern? Endpoint { get; init; }

    /// <summary>For <see cref="RuleKind.Endpoint"/>: how the SDK behind the endpoint lays out its events, if known.</summary>
    public PayloadLayout? Payload { get; init; }

    /// <summary>For <see cref="RuleKind.Value"/>: literal values, matched case-insensitively.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>For <see cref="RuleKind.Value"/>: regular expressions.</summary>
    public IReadOnlyList<Regex> Patterns { get; init; } = [];
}
