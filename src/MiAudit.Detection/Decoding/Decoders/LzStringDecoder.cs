using System.Text;

namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>
/// lz-string (pieroxy's LZ-based compression for JavaScript): <c>compressToBase64</c>,
/// <c>compressToEncodedURIComponent</c> and <c>compressToUTF16</c>, as trackers and PostHog's legacy <c>lz64</c>
/// payloads use. Its output alphabets are base64's, so a token base64 could not read is tried here.
/// </summary>
internal sealed class LzStringDecoder : ITextDecoder
{
    private const string Base64Keys = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    private const string UriKeys = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$";
    private static readonly System.Buffers.SearchValues<char> Base64Chars = System.Buffers.SearchValues.Create(Base64Keys);
    private static readonly System.Buffers.SearchValues<char> UriChars = System.Buffers.SearchValues.Create(UriKeys + " ");

    // Shorter tokens are ids and hashes; what trackers compress is a whole event.
    private const int MinLength = 24;

    public string Name => "lz-string";

    public DecoderCost Cost => DecoderCost.Expensive;

    public bool Recognises(ReadOnlySpan<char> text) =>
        text.Length >= MinLength && (Alphabet(text) is { } keys ? FirstCodeIsACharacter(keys.IndexOf(text[0])) : IsUtf16Form(text));

    /// <summary>A stream opens with a 2-bit code 0 or 1 (an 8- or 16-bit character follows): bit 4 of the first 6-bit value is clear.</summary>
    private static bool FirstCodeIsACharacter(int value) => value >= 0 && (value & 0x10) == 0;

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander)
    {
        var limit = expander.DecompressionRoom;
        string? decompressed;
        if (Alphabet(text) is { } keys)
        {
            // compressToEncodedURIComponent's '+' may arrive as a space after form decoding.
            var token = keys == UriKeys ? text.Replace(' ', '+') : text;
            decompressed = Decompress(token.Length, 32, i => keys.IndexOf(token[i]), limit);
        }
        else
        {
            decompressed = Decompress(text.Length, 16384, i => text[i] - 32, limit);
        }

        // Trackers compress JSON and URLs: the result must be printable ASCII (lz-string makes any 16-bit character
        // out of noise, and most of those count as printable Unicode).
        if (decompressed is not { Length: >= 8 } || decompressed.AsSpan().ContainsAnyExceptInRange(' ', '~') && !IsJsonText(decompressed))
        {
            return Decoded.No;
        }

        var before = expander.LeafCount;
        expander.Text(decompressed, path.Transform(Name));
        return expander.LeafCount > before ? Decoded.Whole : Decoded.No;
    }

    private static bool IsJsonText(string text) =>
        TextSniffing.LooksLikeJson(text) && TextSniffing.AsReadableText(Encoding.UTF8.GetBytes(text)) is not null;

    private static string? Alphabet(ReadOnlySpan<char> text) =>
        !text.ContainsAnyExcept(Base64Chars) ? Base64Keys : !text.ContainsAnyExcept(UriChars) ? UriKeys : null;

    /// <summary>compressToUTF16 packs 15 bits per character, offset by 32: mostly characters far beyond ASCII.</summary>
    private static bool IsUtf16Form(ReadOnlySpan<char> text)
    {
        var high = 0;
        foreach (var c in text)
        {
            if (c < 32 || c > 32 + 32768)
            {
                return false;
            }

            high += c > 0x7f ? 1 : 0;
        }

        return high * 2 > text.Length;
    }

    /// <summary>lz-string's decompression; null when the stream is not valid, or would exceed <paramref name="limit"/> characters.</summary>
    private static string? Decompress(int length, int resetValue, Func<int, int> valueAt, int limit)
    {
        var dictionary = new List<string> { "0", "1", "2" };
        var (enlargeIn, numBits) = (4, 3);
        var result = new StringBuilder();
        var (value, position, index) = (valueAt(0), resetValue, 1);
        if (value < 0)
        {
            return null;
        }

        int? Bits(int count)
        {
            var bits = 0;
            for (var power = 1; power != 1 << count; power <<= 1)
            {
                var bit = value & position;
                position >>= 1;
                if (position == 0)
                {
                    position = resetValue;
                    value = index < length ? valueAt(index) : 0;
                    index++;
                    if (value < 0)
                    {
                        return null;
                    }
                }

                bits |= (bit > 0 ? 1 : 0) * power;
            }

            return bits;
        }

        string? w;
        switch (Bits(2))
        {
            case 0 when Bits(8) is { } c8:
                w = ((char)c8).ToString();
                break;
            case 1 when Bits(16) is { } c16:
                w = ((char)c16).ToString();
                break;
            default:
                return null;
        }

        dictionary.Add(w);
        result.Append(w);
        while (true)
        {
            if (index > length || Bits(numBits) is not { } code)
            {
                return null;
            }

            switch (code)
            {
                case 0 when Bits(8) is { } c8:
                    dictionary.Add(((char)c8).ToString());
                    code = dictionary.Count - 1;
                    enlargeIn--;
                    break;
                case 1 when Bits(16) is { } c16:
                    dictionary.Add(((char)c16).ToString());
                    code = dictionary.Count - 1;
                    enlargeIn--;
                    break;
                case 0 or 1:
                    return null;
                case 2:
                    // Random tokens also decompress, but their end marker falls anywhere: a real stream ends with its input.
                    return index >= length - 1 ? result.ToString() : null;
            }

            if (enlargeIn == 0)
            {
                enlargeIn = 1 << numBits;
                numBits++;
            }

            string entry;
            if (code < dictionary.Count && code > 2)
            {
                entry = dictionary[code];
            }
            else if (code == dictionary.Count)
            {
                entry = w + w[0];
            }
            else
            {
                return null;
            }

            result.Append(entry);
            if (result.Length > limit || numBits > 30)
            {
                return null;
            }

            dictionary.Add(w + entry[0]);
            enlargeIn--;
            w = entry;
            if (enlargeIn == 0)
            {
                enlargeIn = 1 << numBits;
                numBits++;
            }
        }
    }
}
