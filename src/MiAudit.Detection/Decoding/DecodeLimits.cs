namespace MiAudit.Detection.Decoding;

/// <summary>
/// Bounds on the work spent decoding one request, so a hostile body (a decompression bomb, base64 in base64 in
/// base64, JSON nested thousands deep) costs little. Reaching a bound is recorded, never an error.
/// </summary>
public sealed record DecodeLimits
{
    /// <summary>Decoding steps on one path (base64 → gzip → json counts three).</summary>
    public int MaxTransforms { get; init; } = 8;

    /// <summary>Decoded and decompressed bytes produced for one request, all paths together.</summary>
    public long MaxDecodedBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The most one decompression may produce.</summary>
    public int MaxDecompressedBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Leaves produced for one request.</summary>
    public int MaxLeaves { get; init; } = 20_000;

    /// <summary>JSON nesting accepted.</summary>
    public int MaxJsonDepth { get; init; } = 64;

    public static DecodeLimits Default { get; } = new();
}
