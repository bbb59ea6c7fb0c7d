namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>
/// Protocol Buffers without a schema (what <c>protoc --decode_raw</c> does): a body that parses as a message, to its
/// last byte, yields its length-delimited fields by number — text as leaves, nested messages walked, other bytes
/// decoded further — so a value has a path such as <c>body → snappy → protobuf.#1[0].#46</c> that an SDK layout can
/// name (GrowingIO's field 46 is the IMEI). Numbers (varints, fixed) are not leaves. Bodies only: guessed bytes that
/// happen to parse would be noise. Anything that does not parse whole is left to the printable-strings decoder.
/// </summary>
internal sealed class ProtobufDecoder : IByteDecoder
{
    private const int MaxDepth = 16;

    public string Name => "protobuf";

    public DecoderCost Cost => DecoderCost.Linear;

    public Decoded Decode(byte[] bytes, bool guessed, LeafPath path, LeafExpander expander)
    {
        // Tried before the text decoder, since a message of short strings is valid UTF-8; but text never holds the
        // raw control bytes protobuf's tags and lengths are made of.
        if (guessed || !HasBinaryControl(bytes) || !IsMessage(bytes, 0))
        {
            return Decoded.No;
        }

        Walk(bytes, path.Transform(Name), expander, 0);
        return Decoded.Whole;
    }

    private static void Walk(ReadOnlyMemory<byte> message, LeafPath path, LeafExpander expander, int depth)
    {
        // Read once; a field number that occurs more than once is a repeated field, and its occurrences are indexed.
        var fields = new List<WireField>();
        var reader = new WireReader(message.Span);
        while (reader.Next(out var read))
        {
            fields.Add(read);
        }

        var counts = fields.CountBy(f => f.Number).ToDictionary();
        var occurrences = new Dictionary<int, int>();
        foreach (var field in fields.Where(f => f.WireType == 2))
        {
            var fieldPath = path.FieldNumber(field.Number);
            if (counts[field.Number] > 1)
            {
                var index = occurrences.GetValueOrDefault(field.Number);
                occurrences[field.Number] = index + 1;
                fieldPath = fieldPath.Index(index);
            }

            var content = message.Slice(field.Start, field.Length);
            if (IsPlainText(content.Span) && TextSniffing.AsReadableText(content.Span) is { } plain)
            {
                expander.Text(plain, fieldPath, content);
            }
            else if (depth < MaxDepth && IsMessage(content.Span, depth + 1))
            {
                Walk(content, fieldPath, expander, depth + 1);
            }
            else if (!content.IsEmpty)
            {
                expander.Bytes(content.ToArray(), fieldPath, guessed: false);
            }
        }
    }

    /// <summary>A C0 control byte other than tab, line feed and carriage return.</summary>
    private static bool HasBinaryControl(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Text without control characters: a nested message almost always has some (its tags and lengths).</summary>
    private static bool IsPlainText(ReadOnlySpan<byte> bytes) => !bytes.IsEmpty && bytes.IndexOfAnyInRange((byte)0, (byte)0x1f) < 0;

    /// <summary>Parses to the last byte with valid tags, wire types 0, 1, 2 and 5, and lengths that fit.</summary>
    internal static bool IsMessage(ReadOnlySpan<byte> bytes, int depth)
    {
        if (bytes.Length < 2 || depth > MaxDepth)
        {
            return false;
        }

        var reader = new WireReader(bytes);
        var fields = 0;
        while (reader.Next(out _))
        {
            fields++;
        }

        return reader.Failed is false && fields > 0;
    }

    private readonly record struct WireField(int Number, int WireType, int Start, int Length);

    /// <summary>Reads one field after another; stops at the end, or at the first thing that is not protobuf.</summary>
    private ref struct WireReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public bool Failed { get; private set; }

        public bool Next(out WireField field)
        {
            field = default;
            if (Failed || _at >= _bytes.Length)
            {
                return false;
            }

            if (!Varint(out var tag) || tag >> 3 is 0 or > 0x1fffffff)
            {
                return Fail();
            }

            var (number, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            var start = _at;
            switch (wireType)
            {
                case 0 when Varint(out _):
                    break;
                case 1 when _bytes.Length - _at >= 8:
                    _at += 8;
                    break;
                case 5 when _bytes.Length - _at >= 4:
                    _at += 4;
                    break;
                case 2 when Varint(out var length) && length <= (ulong)(_bytes.Length - _at):
                    start = _at;
                    _at += (int)length;
                    break;
                default:
                    return Fail(); // groups (3, 4) are long deprecated; 6 and 7 do not exist
            }

            field = new WireField(number, wireType, start, _at - start);
            return true;
        }

        private bool Varint(out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64 && _at < _bytes.Length; shift += 7)
            {
                var b = _bytes[_at++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return true;
                }
            }

            return false;
        }

        private bool Fail()
        {
            Failed = true;
            return false;
        }
    }
}
