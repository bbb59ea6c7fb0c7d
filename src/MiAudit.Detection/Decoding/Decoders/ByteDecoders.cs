namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>gzip, zlib and zstd, recognised by their magic bytes.</summary>
internal sealed class ContainerDecoder : IByteDecoder
{
    public string Name => "gzip|zlib|zstd";

    public DecoderCost Cost => DecoderCost.Expensive;

    public Decoded Decode(byte[] bytes, bool guessed, LeafPath path, LeafExpander expander)
    {
        if (Decompression.SniffFormat(bytes) is not { } format || expander.Inflate(bytes, format, path) is not { } inflated)
        {
            return Decoded.No;
        }

        expander.Bytes(inflated, path.Transform(format), guessed: false);
        return Decoded.Whole;
    }
}

/// <summary>Bytes that are UTF-8 text: read as text (and decoded further).</summary>
internal sealed class ReadableTextDecoder : IByteDecoder
{
    public string Name => "text";

    public DecoderCost Cost => DecoderCost.Linear;

    public Decoded Decode(byte[] bytes, bool guessed, LeafPath path, LeafExpander expander)
    {
        if (TextSniffing.AsReadableText(bytes) is not { } text)
        {
            return Decoded.No;
        }

        expander.Text(text, path, bytes);
        return Decoded.Whole;
    }
}

/// <summary>
/// Raw DEFLATE (no zlib header, so no magic to sniff), as SDKs that call <c>Deflater(…, nowrap: true)</c> send inside
/// base64 or hex: tried on such guessed bytes that are not text, and kept only if they inflate into readable text.
/// Never on a body: arbitrary binary (protobuf) often inflates into a few printable bytes, which would hide its strings.
/// </summary>
internal sealed class RawDeflateDecoder : IByteDecoder
{
    // Random bytes inflate without error more often than one would think (no magic, no checksum): what comes out must
    // be long enough, and JSON or mostly letters and digits, as the text SDKs compress is.
    private const int MinText = 16;

    /// <summary>
    /// Whether the first block can be valid deflate that starts text, checked in a few bit reads (noise mostly fails
    /// here, sparing zlib's set-up and an exception): bits 1–2 are the block type (3 does not exist); a stored block's
    /// length is followed by its complement; a fixed-code block opens with a literal, which must be printable ASCII;
    /// a dynamic block's code-length code must be complete, as zlib requires.
    /// </summary>
    internal static bool CanStartDeflate(ReadOnlySpan<byte> bytes)
    {
        var bits = new DeflateBits(bytes);
        bits.Read(1); // BFINAL
        switch (bits.Read(2))
        {
            case 0:
                return bytes.Length >= 5 && (bytes[1] ^ bytes[3]) == 0xff && (bytes[2] ^ bytes[4]) == 0xff;
            case 1:
                // Fixed Huffman codes, most significant bit first: 7 bits 0–23 are lengths (no output yet to copy),
                // 8 bits 0x30–0xbf the literals 0–143.
                var code = bits.ReadCode(7);
                if (code < 24)
                {
                    return false;
                }

                code = (code << 1) | bits.Read(1);
                return code is >= 0x30 and <= 0xbf && (code - 0x30) is (>= 0x20 and < 0x7f) or '\n' or '\r' or '\t';
            case 2:
                var (literals, distances, lengthCodes) = (bits.Read(5), bits.Read(5), bits.Read(4) + 4);
                if (literals > 29 || distances > 29)
                {
                    return false;
                }

                var kraft = 0;
                for (var k = 0; k < lengthCodes; k++)
                {
                    var length = bits.Read(3);
                    kraft += length == 0 ? 0 : 1 << (7 - length);
                }

                return kraft == 128 && !bits.PastEnd;
            default:
                return false;
        }
    }

    /// <summary>Deflate's bit order: bytes from the first, bits from the least significant.</summary>
    private ref struct DeflateBits(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public readonly bool PastEnd => _position > _bytes.Length * 8;

        /// <summary>A number stored least significant bit first (header fields).</summary>
        public int Read(int count)
        {
            var value = 0;
            for (var i = 0; i < count; i++)
            {
                value |= NextBit() << i;
            }

            return value;
        }

        /// <summary>A Huffman code, stored most significant bit first.</summary>
        public int ReadCode(int count)
        {
            var value = 0;
            for (var i = 0; i < count; i++)
            {
                value = (value << 1) | NextBit();
            }

            return value;
        }

        private int NextBit()
        {
            var bit = _position < _bytes.Length * 8 ? (_bytes[_position / 8] >> (_position % 8)) & 1 : 0;
            _position++;
            return bit;
        }
    }

    private static bool LooksWritten(string text)
    {
        // Back-references in noise copy one character over and over ("qqqq…"): written text varies.
        if (text.Distinct().Take(8).Count() < 8)
        {
            return false;
        }

        if (TextSniffing.LooksLikeJson(text))
        {
            return true;
        }

        var plain = text.Count(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '=' or '&' or '.' or ':' or '/' or '-' or '_');
        return !text.AsSpan().ContainsAnyExceptInRange(' ', '~') && plain >= text.Length * 0.8;
    }

    public string Name => "deflate";

    public DecoderCost Cost => DecoderCost.Expensive;

    public Decoded Decode(byte[] bytes, bool guessed, LeafPath path, LeafExpander expander)
    {
        if (!guessed || bytes.Length < MinText / 2 || !CanStartDeflate(bytes)
            || expander.Inflate(bytes, "raw-deflate", path) is not { Length: >= MinText } inflated
            || TextSniffing.AsReadableText(inflated) is not { } text || !LooksWritten(text))
        {
            return Decoded.No;
        }

        expander.Text(text, path.Transform(Name), inflated);
        return Decoded.Whole;
    }
}

/// <summary>Printable runs inside binary data that really is a body (never inside guessed bytes: that is noise).</summary>
internal sealed class BinaryStringsDecoder : IByteDecoder
{
    public string Name => "strings";

    public DecoderCost Cost => DecoderCost.Linear;

    public Decoded Decode(byte[] bytes, bool guessed, LeafPath path, LeafExpander expander)
    {
        if (guessed)
        {
            return Decoded.No;
        }

        var stringsPath = path.Transform(Name);
        var i = 0;
        foreach (var found in BinaryStrings.Extract(bytes))
        {
            expander.Text(found, stringsPath.Index(i++));
        }

        return Decoded.Whole;
    }
}
