namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>Base32 (RFC 4648: A–Z and 2–7), upper or lower case, with or without <c>=</c> padding.</summary>
internal sealed class Base32Decoder : TokenDecoder
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public override string Name => "base32";

    public override bool Recognises(ReadOnlySpan<char> text)
    {
        var data = text.TrimEnd('=');
        if (data.Length < 16 || (text.Length != data.Length && text.Length % 8 != 0) || (data.Length % 8) is 1 or 3 or 6)
        {
            return false;
        }

        var upper = char.IsAsciiLetterUpper(data[0]) || char.IsAsciiDigit(data[0]);
        foreach (var c in data)
        {
            var ok = c is >= '2' and <= '7' || (upper ? char.IsAsciiLetterUpper(c) : char.IsAsciiLetterLower(c));
            if (!ok)
            {
                return false; // one case only: mixed case is base64's
            }
        }

        return true;
    }

    protected override byte[]? ToBytes(string text)
    {
        var data = text.AsSpan().TrimEnd('=');
        var bytes = new byte[data.Length * 5 / 8];
        int buffer = 0, bits = 0, written = 0;
        foreach (var c in data)
        {
            buffer = (buffer << 5) | Alphabet.IndexOf(char.ToUpperInvariant(c));
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes[written++] = (byte)(buffer >> bits);
                buffer &= (1 << bits) - 1;
            }
        }

        return written == bytes.Length ? bytes : bytes[..written];
    }
}
