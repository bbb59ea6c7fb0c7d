using System.Text;

namespace MiAudit.Detection.Decoding;

/// <summary>Runs of printable text inside binary data (protobuf and friends carry strings verbatim).</summary>
internal static class BinaryStrings
{
    public const int MinLength = 6;

    public static IEnumerable<string> Extract(byte[] data)
    {
        var start = -1;
        for (var i = 0; i <= data.Length; i++)
        {
            var printable = i < data.Length && (data[i] is >= 0x20 and < 0x7f || data[i] >= 0x80);
            if (printable)
            {
                if (start < 0)
                {
                    start = i;
                }

                continue;
            }

            if (start >= 0 && i - start >= MinLength)
            {
                var text = Encoding.UTF8.GetString(data, start, i - start);
                if (!text.Contains('\uFFFD'))
                {
                    yield return text;
                }
            }

            start = -1;
        }
    }
}
