using System.Text;
using System.Text.Json;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Export;
using MiAudit.Storage.Reading;

namespace MiAudit.Storage.Har;

/// <summary>
/// HAR 1.2 of stored flows, streamed entry by entry, that Chrome DevTools and other tools open. Bodies keep their wire
/// bytes: text as text, anything else (compressed, binary) as base64 with <c>"encoding": "base64"</c>.
/// MiAudit's own facts sit in the custom <c>_miaudit</c> field of each entry (HAR allows fields starting with "_").
/// </summary>
public static class HarWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static long Write(IEnumerable<StoredFlow> flows, Stream output, string miauditVersion, Action<long>? progress = null)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteStartObject("log");
        json.WriteString("version", "1.2");
        json.WriteStartObject("creator");
        json.WriteString("name", "MiAudit");
        json.WriteString("version", miauditVersion);
        json.WriteEndObject();
        json.WriteStartArray("pages");
        json.WriteEndArray();
        json.WriteStartArray("entries");
        long count = 0;
        foreach (var stored in flows)
        {
            WriteEntry(json, stored);
            if (++count % 1000 == 0)
            {
                json.Flush();
                progress?.Invoke(count);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        return count;
    }

    private static void WriteEntry(Utf8JsonWriter json, StoredFlow stored)
    {
        var flow = stored.Flow;
        var totalMs = Math.Max(0, (flow.CompletedAt - flow.StartedAt).TotalMilliseconds);
        json.WriteStartObject();
        json.WriteString("startedDateTime", flow.StartedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteNumber("time", totalMs);

        json.WriteStartObject("request");
        json.WriteString("method", flow.Method);
        json.WriteString("url", flow.Url);
        json.WriteString("httpVersion", flow.HttpVersion.Length > 0 ? flow.HttpVersion : "HTTP/1.1");
        WriteCookies(json, flow.RequestHeaders, "cookie");
        WriteHeaders(json, flow.RequestHeaders);
        json.WriteStartArray("queryString");
        foreach (var pair in flow.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            json.WriteStartObject();
            json.WriteString("name", equals < 0 ? pair : pair[..equals]);
            json.WriteString("value", equals < 0 ? "" : pair[(equals + 1)..]);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (!flow.RequestBody.Bytes.IsEmpty)
        {
            json.WriteStartObject("postData");
            json.WriteString("mimeType", flow.RequestHeader("content-type") ?? "");
            var (text, base64) = BodyText(flow.RequestBody.Bytes.Span);
            json.WriteString("text", text);
            if (base64)
            {
                json.WriteString("_encoding", "base64");
            }

            json.WriteEndObject();
        }

        json.WriteNumber("headersSize", -1);
        json.WriteNumber("bodySize", flow.RequestBody.WireLength);
        json.WriteEndObject();

        json.WriteStartObject("response");
        json.WriteNumber("status", flow.StatusCode ?? 0);
        json.WriteString("statusText", "");
        json.WriteString("httpVersion", flow.HttpVersion.Length > 0 ? flow.HttpVersion : "HTTP/1.1");
        WriteCookies(json, flow.ResponseHeaders, "set-cookie");
        WriteHeaders(json, flow.ResponseHeaders);
        json.WriteStartObject("content");
        json.WriteNumber("size", flow.ResponseBody.WireLength);
        json.WriteString("mimeType", flow.ResponseHeader("content-type") ?? "");
        if (!flow.ResponseBody.Bytes.IsEmpty)
        {
            var (text, base64) = BodyText(flow.ResponseBody.Bytes.Span);
            json.WriteString("text", text);
            if (base64)
            {
                json.WriteString("encoding", "base64");
            }
        }

        json.WriteEndObject();
        json.WriteString("redirectURL", flow.ResponseHeader("location") ?? "");
        json.WriteNumber("headersSize", -1);
        json.WriteNumber("bodySize", flow.ResponseBody.WireLength);
        json.WriteEndObject();

        json.WriteStartObject("cache");
        json.WriteEndObject();
        json.WriteStartObject("timings");
        json.WriteNumber("send", 0);
        json.WriteNumber("wait", totalMs);
        json.WriteNumber("receive", 0);
        json.WriteEndObject();
        if (flow.WebSocketTotals is not null)
        {
            WriteMessages(json, flow.WebSocketMessages);
        }

        json.WriteStartObject("_miaudit");
        json.WriteString("flowUid", flow.Id.ToString());
        json.WriteNumber("flowId", stored.RowId);
        json.WriteString("session", stored.SessionLabel);
        json.WriteString("clientAddress", flow.ClientAddress);
        json.WriteString("transport", flow.Transport.ToString());
        json.WriteBoolean("requestBodyTruncated", flow.RequestBody.Truncated);
        json.WriteBoolean("responseBodyTruncated", flow.ResponseBody.Truncated);
        if (flow.InProgress)
        {
            json.WriteBoolean("inProgress", true);
        }

        if (flow.RequestTrailers.Count > 0)
        {
            WriteHeaders(json, flow.RequestTrailers, "requestTrailers");
        }

        if (flow.ResponseTrailers.Count > 0)
        {
            WriteHeaders(json, flow.ResponseTrailers, "responseTrailers");
        }

        if (flow.WebSocketTotals is { } totals)
        {
            json.WriteStartObject("webSocketTotals");
            json.WriteNumber("clientMessages", totals.ClientMessages);
            json.WriteNumber("clientBytes", totals.ClientBytes);
            json.WriteNumber("serverMessages", totals.ServerMessages);
            json.WriteNumber("serverBytes", totals.ServerBytes);
            json.WriteNumber("kept", flow.WebSocketMessages.Count);
            json.WriteEndObject();
        }
        if (flow.Error is { } error)
        {
            json.WriteString("error", $"{error.Kind}: {error.Message}");
        }

        json.WriteStartArray("findings");
        foreach (var finding in stored.Findings)
        {
            FindingJson.Write(json, finding);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// WebSocket messages the way Chrome's DevTools export them (<c>_webSocketMessages</c>: type send/receive, time in
    /// Unix seconds, opcode, data; binary data in base64), so HAR viewers that know the convention show them.
    /// </summary>
    private static void WriteMessages(Utf8JsonWriter json, IReadOnlyList<WebSocketMessage> messages)
    {
        json.WriteStartArray("_webSocketMessages");
        foreach (var message in messages)
        {
            json.WriteStartObject();
            json.WriteString("type", message.Direction == MessageDirection.Client ? "send" : "receive");
            json.WriteNumber("time", message.At.ToUnixTimeMilliseconds() / 1000.0);
            json.WriteNumber("opcode", message.Opcode);
            var bytes = message.Payload.Bytes.Span;
            // Text messages are UTF-8 by the protocol; anything else (binary, close) goes as base64, as Chrome does for binary.
            json.WriteString("data", message.Opcode == WebSocketMessage.Text ? Encoding.UTF8.GetString(bytes) : Convert.ToBase64String(bytes));
            if (message.Payload.Truncated)
            {
                json.WriteNumber("_size", message.Payload.WireLength);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteHeaders(Utf8JsonWriter json, IReadOnlyList<HeaderField> headers, string name = "headers")
    {
        json.WriteStartArray(name);
        foreach (var header in headers)
        {
            json.WriteStartObject();
            json.WriteString("name", header.Name);
            json.WriteString("value", header.Value);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteCookies(Utf8JsonWriter json, IReadOnlyList<HeaderField> headers, string headerName)
    {
        json.WriteStartArray("cookies");
        foreach (var header in headers.Where(h => h.Name.Equals(headerName, StringComparison.OrdinalIgnoreCase)))
        {
            var pairs = headerName == "cookie" ? header.Value.Split(';') : [header.Value.Split(';')[0]];
            foreach (var pair in pairs.Select(p => p.Trim()).Where(p => p.Length > 0))
            {
                var equals = pair.IndexOf('=');
                json.WriteStartObject();
                json.WriteString("name", equals < 0 ? pair : pair[..equals]);
                json.WriteString("value", equals < 0 ? "" : pair[(equals + 1)..]);
                json.WriteEndObject();
            }
        }

        json.WriteEndArray();
    }

    private static (string Text, bool Base64) BodyText(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var text = StrictUtf8.GetString(bytes);
            if (!text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            {
                return (text, false);
            }
        }
        catch (DecoderFallbackException)
        {
        }

        return (Convert.ToBase64String(bytes), true);
    }
}
