namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>
/// A decoding of a token into bytes (base64, hex, base32 …). What comes out counts only if it reads as text, JSON or
/// a known container: random tokens of the same alphabet decode into noise, and noise is left alone.
/// </summary>
internal abstract class TokenDecoder : ITextDecoder
{
    public abstract string Name { get; }

    public virtual DecoderCost Cost => DecoderCost.Allocating;

    public abstract bool Recognises(ReadOnlySpan<char> text);

    /// <summary>The token's bytes; null when it is not a valid token after all.</summary>
    protected abstract byte[]? ToBytes(string text);

    /// <summary>The path step for this token (base64 and base64url share a decoder).</summary>
    protected virtual string StepFor(string text) => Name;

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander)
    {
        if (ToBytes(text) is not { } bytes)
        {
            return Decoded.No;
        }

        var before = expander.LeafCount;
        expander.Bytes(bytes, path.Transform(StepFor(text)), guessed: true);
        return expander.LeafCount > before ? Decoded.Whole : Decoded.No;
    }
}

/// <summary>Hex digits (an even run of 16 or more).</summary>
internal sealed class HexDecoder : TokenDecoder
{
    public override string Name => "hex";

    public override bool Recognises(ReadOnlySpan<char> text) => TextSniffing.LooksLikeHex(text);

    protected override byte[]? ToBytes(string text) => TextSniffing.TryDecodeHex(text);
}

/// <summary>Base64 and base64url (RFC 4648), padded or not.</summary>
internal sealed class Base64Decoder : TokenDecoder
{
    public override string Name => "base64";

    public override bool Recognises(ReadOnlySpan<char> text) => TextSniffing.LooksLikeBase64(text, out _);

    protected override byte[]? ToBytes(string text) =>
        TextSniffing.LooksLikeBase64(text, out var urlSafe) ? TextSniffing.TryDecodeBase64(text, urlSafe) : null;

    protected override string StepFor(string text) => TextSniffing.LooksLikeBase64(text, out var urlSafe) && urlSafe ? "base64url" : Name;
}
