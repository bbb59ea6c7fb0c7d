namespace MiAudit.Detection.Decoding;

/// <summary>Every leaf of one request, plus what decoding noticed along the way.</summary>
public sealed class DecodedRequest
{
    public List<Leaf> Leaves { get; } = new(16); // an ordinary request has about ten

    /// <summary>Names of the query parameters and form-body fields, for endpoint rules that match a request's shape.</summary>
    public HashSet<string> ParameterNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Bounds that were reached, e.g. "decompressed size limit (8 MiB) at body → gzip".</summary>
    public List<string> LimitsReached { get; } = [];

    /// <summary>Where payloads encrypted by a telemetry SDK were recognised (they cannot be read without the key).</summary>
    public List<EncryptedPayload> EncryptedPayloads { get; } = [];

    /// <summary>Empties it for the next request, keeping the room its lists grew to.</summary>
    internal void Clear()
    {
        Leaves.Clear();
        ParameterNames.Clear();
        LimitsReached.Clear();
        EncryptedPayloads.Clear();
    }
}

/// <summary>An encrypted telemetry envelope: recognisable by its keys, unreadable without the vendor's key.</summary>
public sealed record EncryptedPayload(LeafPath Path, string Scheme);
