using System.Buffers;
using System.Text.Json;
using MiAudit.Detection.Findings;
using MiAudit.Storage.Reading;

namespace MiAudit.Storage.Export;

/// <summary>JSON Lines: one object per finding, with its flow's columns; each line parses on its own.</summary>
public static class JsonlExporter
{
    /// <summary>Lines are gathered in memory up to this size, then written: a stream write (and flush) per line was a third of the time.</summary>
    private const int ChunkBytes = 256 * 1024;

    public static long Write(IEnumerable<FindingRow> rows, Stream output, Action<long>? progress = null)
    {
        long count = 0;
        var chunk = new ArrayBufferWriter<byte>(ChunkBytes + 16 * 1024);
        // Non-ASCII stays UTF-8 (→, 小米) instead of \u escapes: readable, and a third smaller. The output is data, not HTML.
        using var json = new Utf8JsonWriter(chunk, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var row in rows)
        {
            json.WriteStartObject();
            json.WriteString("time", row.TimeText);
            json.WriteString("session", row.Session);
            json.WriteString("client", row.Client);
            json.WriteString("method", row.Method);
            json.WriteString("url", row.Url);
            json.WriteString("host", row.Host);
            if (row.Status is { } status)
            {
                json.WriteNumber("status", status);
            }
            else
            {
                json.WriteNull("status");
            }

            json.WriteString("rule", row.RuleId);
            json.WriteString("title", row.Title);
            json.WriteString("severity", row.Severity.ToName());
            json.WriteString("category", row.Category);
            json.WriteString("value", row.Value);
            json.WriteString("matched_as", row.MatchedAs);
            json.WriteString("leaf_path", row.LeafPath);
            // Stored as a JSON array already; copied (and validated) rather than parsed into strings and written again.
            json.WritePropertyName("transforms");
            json.WriteRawValue(row.TransformsJson.Length > 0 ? row.TransformsJson : "[]");
            json.WriteString("snippet", row.Snippet);
            json.WriteNumber("flow_id", row.FlowId);
            json.WriteEndObject();
            json.Flush();
            json.Reset();
            chunk.Write("\n"u8);
            if (chunk.WrittenCount >= ChunkBytes)
            {
                output.Write(chunk.WrittenSpan);
                chunk.ResetWrittenCount();
            }

            if (++count % 10_000 == 0)
            {
                progress?.Invoke(count);
            }
        }

        output.Write(chunk.WrittenSpan);
        output.Flush();
        return count;
    }
}
