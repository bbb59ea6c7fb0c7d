using System.Buffers;

namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>
/// Line-wrapped base64 (MIME, PEM, Android's <c>Base64.DEFAULT</c>): lines of one length (76, or 64) ending in LF or
/// CRLF, the last one shorter, maybe a final line break.
/// </summary>
internal sealed class MimeBase64Decoder : TokenDecoder
{
    private static readonly SearchValues<char> Base64Chars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");

    public override string Name => "base64";

    public override bool Recognises(ReadOnlySpan<char> text)
    {
        var body = text.TrimEnd("\r\n");
        var first = text.IndexOf('\n');
        if (first < 0 || body.Length < TextSniffing.MinBase64Length)
        {
            return false;
        }

        var width = text[..first].TrimEnd('\r').Length;
        if (width < 16 || width % 4 != 0)
        {
            return false;
        }

        foreach (var range in body.Split('\n'))
        {
            var line = body[range].TrimEnd('\r');
            var last = range.End.Value == body.Length;
            if (line.IsEmpty || line.ContainsAnyExcept(Base64Chars) || (last ? line.Length > width : line.Length != width))
            {
                return false;
            }
        }

        return true;
    }

    protected override byte[]? ToBytes(string text)
    {
        var joined = string.Concat(text.Split('\n').Select(l => l.TrimEnd('\r')));
        return TextSniffing.TryDecodeBase64(joined, urlSafe: false);
    }
}
