namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>What a decoder made of a value.</summary>
internal enum Decoded
{
    /// <summary>Not its form, or it yielded nothing readable: the next decoder tries.</summary>
    No,

    /// <summary>Its children carry the whole value: no other decoder tries.</summary>
    Whole,

    /// <summary>Its form, though nothing came out (an empty document): no other decoder tries, the value is a leaf.</summary>
    Claimed,

    /// <summary>Children that carry part of the value (a URL's parameters): the next decoders try too.</summary>
    Partly,
}

/// <summary>How much a decoder costs on a value it recognises, for the registry's order and the docs.</summary>
internal enum DecoderCost
{
    /// <summary>One pass over the characters (percent-escapes, entities, parsing a form).</summary>
    Linear,

    /// <summary>Builds the value's bytes or a parse tree (base64, hex, JSON).</summary>
    Allocating,

    /// <summary>Quadratic in the token's length or unpacks data (base58, lz-string, inflate): bounded by the decode limits.</summary>
    Expensive,
}

/// <summary>
/// One decoding of a string value: recognises its form cheaply, decodes it and hands what is inside back to the
/// expander, which records the step in the leaf's path and decodes the result in turn. Pure: text in, leaves out.
/// </summary>
internal interface ITextDecoder
{
    /// <summary>The step this decoding adds to a leaf path, e.g. <c>base32</c> in <c>query[d] → base32 → json.imei</c>.</summary>
    string Name { get; }

    DecoderCost Cost { get; }

    /// <summary>A cheap test of the value's shape; false means <see cref="Decode"/> is not called.</summary>
    bool Recognises(ReadOnlySpan<char> text);

    /// <param name="utf8">The bytes the text was read from, when it was (JSON parses them without transcoding); else empty.</param>
    Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander);
}

/// <summary>One decoding of bytes (a body, or what a text decoding produced).</summary>
internal interface IByteDecoder
{
    string Name { get; }

    DecoderCost Cost { get; }

    /// <param name="guessed">The bytes came from a heuristic (base64 …): they count only if they decode into something readable.</param>
    Decoded Decode(byte[] bytes, bool guessed, LeafPath path, LeafExpander expander);
}
