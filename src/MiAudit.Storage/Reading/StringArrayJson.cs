using System.Text;
using System.Text.Json;

namespace MiAudit.Storage.Reading;

/// <summary>
/// Reads the JSON string arrays the store keeps (transforms) with a bare reader: exports read a million of them,
/// and the general serializer's per-call overhead made it the slowest column.
/// </summary>
internal static class StringArrayJson
{
    public static string[] Parse(string json)
    {
        if (json == "[]")
        {
            return [];
        }

        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var values = new List<string>(4);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                values.Add(reader.GetString()!);
            }
        }

        return [.. values];
    }

    /// <summary>The values joined by <paramref name="separator"/>; plain arrays (no escapes) are rewritten without parsing.</summary>
    public static string Join(string json, string separator)
    {
        if (json.Length >= 4 && json.StartsWith("[\"", StringComparison.Ordinal) && json.EndsWith("\"]", StringComparison.Ordinal)
            && !json.Contains('\\'))
        {
            return json[2..^2].Replace("\",\"", separator, StringComparison.Ordinal);
        }

        return string.Join(separator, Parse(json));
    }
}
