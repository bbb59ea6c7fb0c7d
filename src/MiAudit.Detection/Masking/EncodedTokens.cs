namespace MiAudit.Detection.Masking;

/// <summary>
/// Finds the encoded tokens of a text (runs of base64, base64url, hex and percent-encoding characters) whose decoding
/// holds an identifier, and masks them: <c>data=eyJpbWVpIjoiODYxMj…</c> becomes <c>data=eyJp****…</c>. A token is cut
/// at <c>/</c> and <c>=</c> first, so a path or a <c>name=value</c> pair loses only the piece that holds one.
/// </summary>
internal static class EncodedTokens
{
    /// <summary>Shorter runs cannot carry an encoded identifier (six characters at least, encoded).</summary>
    private const int MinLength = 8;

    public static string Mask(string text, Func<string, bool> holds)
    {
        List<(int, int)>? ranges = null;
        var i = 0;
        while (i < text.Length)
        {
            if (!IsTokenChar(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && IsTokenChar(text[i]))
            {
                i++;
            }

            if (i - start >= MinLength)
            {
                Token(text, start, i, holds, ranges ??= []);
            }
        }

        return ranges is null ? text : ValueMasking.MaskRanges(text, ranges);
    }

    private static void Token(string text, int start, int end, Func<string, bool> holds, List<(int, int)> ranges)
    {
        if (!holds(text[start..end]))
        {
            // Pieces may decode where the whole does not (a base64 segment of a path).
            foreach (var piece in Pieces(text, start, end, '/'))
            {
                if (holds(text[piece.Start..piece.End]))
                {
                    ranges.Add(piece);
                }
            }

            return;
        }

        var before = ranges.Count;
        foreach (var separator in "/=")
        {
            foreach (var piece in Pieces(text, start, end, separator))
            {
                if (piece != (start, end) && holds(text[piece.Start..piece.End]))
                {
                    ranges.Add(piece);
                }
            }
        }

        if (ranges.Count == before || holds(ValueMasking.MaskRanges(text[start..end], ranges.Skip(before).Select(r => (r.Item1 - start, r.Item2 - start)))))
        {
            ranges.Add((start, end));
        }
    }

    /// <summary>The runs between separators; an <c>=</c> run at the end is base64 padding, not a separator.</summary>
    private static IEnumerable<(int Start, int End)> Pieces(string text, int start, int end, char separator)
    {
        var paddingFrom = end;
        if (separator == '=')
        {
            while (paddingFrom > start && text[paddingFrom - 1] == '=')
            {
                paddingFrom--;
            }
        }

        var from = start;
        for (var i = start; i <= paddingFrom; i++)
        {
            if (i < paddingFrom && text[i] != separator)
            {
                continue;
            }

            var pieceEnd = i == paddingFrom ? end : i;
            if (pieceEnd - from >= MinLength)
            {
                yield return (from, pieceEnd);
            }

            from = i + 1;
        }
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '_' or '-' or '%' or '~' or '=';
}
