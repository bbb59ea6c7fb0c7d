namespace MiAudit.Storage.Reading;

/// <summary>A page of the flow list, newest first: the filter's flows, and optionally only a method or status.</summary>
public sealed record FlowPageQuery
{
    public FindingFilter Filter { get; init; } = new();

    public string? Method { get; init; }

    public int? Status { get; init; }

    /// <summary>Only these flows (a search's candidates).</summary>
    public IReadOnlyList<long>? Ids { get; init; }

    /// <summary>Only flows with a smaller row id (the next page back).</summary>
    public long? BeforeId { get; init; }

    /// <summary>Only flows with a larger row id (what arrived since).</summary>
    public long? AfterId { get; init; }

    public int Limit { get; init; } = 100;
}

/// <summary>One row of the flow list: what a list shows, without headers or bodies.</summary>
public sealed record FlowSummary(
    long RowId,
    long SessionId,
    string SessionLabel,
    DateTimeOffset StartedAt,
    string Client,
    string Method,
    string Url,
    string Host,
    int? Status,
    long RequestBodySize,
    long ResponseBodySize,
    string Transport,
    string? ErrorKind,
    int? MaxSeverity,
    IReadOnlyList<string> Categories);
