using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Reads JSON strings and property names even when they hold a lone surrogate escape (<c>"\ud800"</c>), which
/// System.Text.Json refuses to turn into a .NET string. An audited party can put one anywhere; the rest of the
/// string is still evidence, so the lone half becomes U+FFFD and the value is kept.
/// </summary>
internal static class JsonStrings
{
    public static string Value(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return Lenient(JsonMarshal.GetRawUtf8Value(element));
        }
    }

    public static string Name(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return Lenient(JsonMarshal.GetRawUtf8PropertyName(property));
        }
    }

    /// <summary>Unescapes raw JSON string bytes (quotes optional), replacing every unpaired surrogate escape.</summary>
    internal static string Lenient(ReadOnlySpan<byte> raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1];
        }

        var output = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\' || i + 1 >= text.Length)
            {
                output.Append(c);
                continue;
            }

            var next = text[++i];
            switch (next)
            {
                case 'n': output.Append('\n'); break;
                case 'r': output.Append('\r'); break;
                case 't': output.Append('\t'); break;
                case 'b': output.Append('\b'); break;
                case 'f': output.Append('\f'); break;
                case 'u' when TryHex(text, i + 1, out var unit):
                    i += 4;
                    if (char.IsHighSurrogate(unit) && i + 6 < text.Length + 1 && text.AsSpan(i + 1).StartsWith("\\u")
                        && TryHex(text, i + 3, out var low) && char.IsLowSurrogate(low))
                    {
                        output.Append(unit).Append(low);
                        i += 6;
                    }
                    else
                    {
                        output.Append(char.IsSurrogate(unit) ? '\uFFFD' : unit);
                    }

                    break;
                default: output.Append(next); break; // \" \\ \/ and anything the parser already accepted
            }
        }

        return output.ToString();
    }

    private static bool TryHex(string text, int start, out char unit)
    {
        unit = '\0';
        return start + 4 <= text.Length
            && ushort.TryParse(text.AsSpan(start, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var value)
            && (unit = (char)value) == unit;
    }
}
