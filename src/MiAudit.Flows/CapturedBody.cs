namespace MiAudit.Flows;

/// <summary>
/// The bytes of a message body that were kept, and how many bytes went over the wire.
/// Bodies are captured while they stream, up to a cap, so <see cref="Bytes"/> may be a prefix.
/// </summary>
public sealed class CapturedBody
{
    public static readonly CapturedBody Empty = new(ReadOnlyMemory<byte>.Empty, 0);

    public CapturedBody(ReadOnlyMemory<byte> bytes, long wireLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wireLength, bytes.Length);
        Bytes = bytes;
        WireLength = wireLength;
    }

    /// <summary>The captured bytes, as they were on the wire (still content-encoded).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The number of body bytes that passed through, captured or not.</summary>
    public long WireLength { get; }

    /// <summary>True when more bytes passed than were kept.</summary>
    public bool Truncated => WireLength > Bytes.Length;

    public static CapturedBody From(byte[] bytes) => new(bytes, bytes.Length);
}
