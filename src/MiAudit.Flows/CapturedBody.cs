namespace MiAudit.Flows;

/// <summary>
/// The bytes of a message body that were kept, and how many bytes went over the wire.
/// Bodies are captured while they stream, up to a cap, so <see cref="Bytes"/> may be a prefix.
/// </summary>
public sealed class CapturedBody
{
    public static readonly CapturedBody Empty = new(ReadOnlyMemory<byte>.Empty, 0);

    /// <param name="ended">
    /// False when the body did not reach its end while it was watched (the server answered before reading it all, a side
    /// hung up): then what passed is only part of what was sent, even if every byte that passed was kept.
    /// </param>
    public CapturedBody(ReadOnlyMemory<byte> bytes, long wireLength, bool ended = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wireLength, bytes.Length);
        Bytes = bytes;
        WireLength = wireLength;
        Ended = ended;
    }

    /// <summary>The captured bytes, as they were on the wire (still content-encoded).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The number of body bytes that passed through, captured or not.</summary>
    public long WireLength { get; }

    /// <summary>Whether the body reached its end; false means the sender's body was cut short in passing.</summary>
    public bool Ended { get; }

    /// <summary>True when <see cref="Bytes"/> is not the whole body: more passed than was kept, or the body never ended.</summary>
    public bool Truncated => WireLength > Bytes.Length || !Ended;

    public static CapturedBody From(byte[] bytes) => new(bytes, bytes.Length);

    /// <summary>Other bytes in place of these (a masked copy), still truncated if these were.</summary>
    public CapturedBody WithBytes(ReadOnlyMemory<byte> bytes) => new(bytes, Truncated ? Math.Max(WireLength, bytes.Length) : bytes.Length, Ended);
}
