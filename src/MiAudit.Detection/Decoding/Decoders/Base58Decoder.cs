namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>Base58 with Bitcoin's alphabet (no 0, O, I, l), as some device-id and wallet SDKs send.</summary>
internal sealed class Base58Decoder : TokenDecoder
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static readonly System.Buffers.SearchValues<char> Chars = System.Buffers.SearchValues.Create(Alphabet);

    // Decoding is quadratic in the length: longer tokens are not base58 in practice.
    private const int MaxLength = 2048;

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("123456789");

    public override string Name => "base58";

    public override DecoderCost Cost => DecoderCost.Expensive;

    public override bool Recognises(ReadOnlySpan<char> text)
    {
        if (text.Length is < 12 or > MaxLength)
        {
            return false;
        }

        return !text.ContainsAnyExcept(Chars) && text.ContainsAnyInRange('1', '9') && text.ContainsAnyExcept(Digits);
    }

    protected override byte[]? ToBytes(string text)
    {
        // Big-endian base-256 number, multiplied by 58 and added to per character; leading '1's are zero bytes.
        var number = new List<byte>(text.Length);
        foreach (var c in text)
        {
            var carry = Alphabet.IndexOf(c);
            for (var i = number.Count - 1; i >= 0; i--)
            {
                carry += number[i] * 58;
                number[i] = (byte)carry;
                carry >>= 8;
            }

            while (carry > 0)
            {
                number.Insert(0, (byte)carry);
                carry >>= 8;
            }
        }

        var zeros = text.Length - text.TrimStart('1').Length;
        return [.. new byte[zeros], .. number];
    }
}
