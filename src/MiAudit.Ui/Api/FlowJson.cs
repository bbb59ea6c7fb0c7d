using System.Text;
using System.Text.Unicode;
using System.Text.Json;
using MiAudit.Detection.Decoding;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Export;
using MiAudit.Storage.Writing;
using MiAudit.Storage.Reading;

namespace MiAudit.Ui.Api;

/// <summary>
/// The JSON the UI's script reads, written by hand (no reflection: the shipped binary is Native AOT). Captured text
/// goes out as JSON strings; the page puts it into the document as text, never as markup.
/// </summary>
internal static class FlowJson
{
    // A body shown in the UI is cut here; the whole of it is in the store and the HAR export.
    private const int BodyShown = 512 * 1024;

    public static void Summary(Utf8JsonWriter json, FlowSummary flow)
    {
        json.WriteStartObject();
        json.WriteNumber("id", flow.RowId);
        json.WriteNumber("sessionId", flow.SessionId);
        json.WriteString("session", flow.SessionLabel);
        json.WriteString("time", Timestamps.Format(flow.StartedAt));
        json.WriteString("client", flow.Client);
        json.WriteString("method", flow.Method);
        json.WriteString("url", flow.Url);
        json.WriteString("host", flow.Host);
        Number(json, "status", flow.Status);
        json.WriteNumber("size", flow.RequestBodySize + flow.ResponseBodySize);
        json.WriteString("transport", flow.Transport);
        json.WriteString("error", flow.ErrorKind);
        json.WriteString("severity", flow.MaxSeverity is { } severity ? ((Severity)severity).ToName() : null);
        json.WriteStartArray("categories");
        foreach (var category in flow.Categories)
        {
            json.WriteStringValue(category);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static void Detail(Utf8JsonWriter json, StoredFlow stored)
    {
        var flow = stored.Flow;
        json.WriteStartObject();
        json.WriteNumber("id", stored.RowId);
        json.WriteString("session", stored.SessionLabel);
        json.WriteString("time", Timestamps.Format(flow.StartedAt));
        json.WriteString("completed", Timestamps.Format(flow.CompletedAt));
        json.WriteString("client", $"{flow.ClientAddress}:{flow.ClientPort}");
        json.WriteString("method", flow.Method);
        json.WriteString("url", flow.Url);
        json.WriteString("httpVersion", flow.HttpVersion);
        json.WriteString("upstreamHttpVersion", flow.UpstreamHttpVersion);
        Number(json, "status", flow.StatusCode);
        json.WriteString("transport", flow.Transport.ToString());
        json.WriteBoolean("inProgress", flow.InProgress);
        if (flow.ClientTls is { } tls)
        {
            json.WriteStartObject("tls");
            json.WriteString("serverName", tls.ServerName);
            json.WriteString("alpn", tls.ApplicationProtocol);
            json.WriteString("version", tls.Protocol);
            json.WriteString("fingerprint", tls.Fingerprint);
            json.WriteEndObject();
        }

        if (flow.Error is { } error)
        {
            json.WriteStartObject("error");
            json.WriteString("kind", error.Kind);
            json.WriteString("message", error.Message);
            json.WriteEndObject();
        }

        Headers(json, "requestHeaders", flow.RequestHeaders);
        Headers(json, "responseHeaders", flow.ResponseHeaders);
        Headers(json, "requestTrailers", flow.RequestTrailers);
        Headers(json, "responseTrailers", flow.ResponseTrailers);
        Body(json, "requestBody", flow.RequestBody);
        Body(json, "responseBody", flow.ResponseBody);

        json.WriteStartArray("leaves");
        foreach (var leaf in RequestDecoder.Decode(flow).Leaves.Where(l => !l.Expanded))
        {
            json.WriteStartObject();
            json.WriteString("path", leaf.Path.ToString());
            json.WriteString("text", leaf.Text);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("findings");
        foreach (var finding in stored.Findings)
        {
            FindingJson.Write(json, finding);
        }

        json.WriteEndArray();
        json.WriteStartArray("messages");
        foreach (var message in flow.WebSocketMessages)
        {
            json.WriteStartObject();
            json.WriteString("direction", message.Direction == MessageDirection.Client ? "client" : "server");
            json.WriteString("at", Timestamps.Format(message.At));
            json.WriteNumber("opcode", message.Opcode);
            json.WriteNumber("size", message.Payload.WireLength);
            BodyContent(json, message.Payload.Bytes.Span);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("curl", Curl.Command(flow));
        json.WriteEndObject();
    }

    private static void Headers(Utf8JsonWriter json, string name, IReadOnlyList<HeaderField> headers)
    {
        json.WritePropertyName(name);
        HeaderJson.Write(json, headers);
    }

    private static void Body(Utf8JsonWriter json, string name, CapturedBody body)
    {
        json.WriteStartObject(name);
        json.WriteNumber("size", body.WireLength);
        json.WriteNumber("kept", body.Bytes.Length);
        json.WriteBoolean("truncated", body.Truncated);
        BodyContent(json, body.Bytes.Span);
        json.WriteEndObject();
    }

    /// <summary>The bytes as base64 (for the hex view) and, when they are UTF-8, as text.</summary>
    private static void BodyContent(Utf8JsonWriter json, ReadOnlySpan<byte> bytes)
    {
        var shown = bytes.Length > BodyShown ? bytes[..BodyShown] : bytes;
        json.WriteBoolean("cut", shown.Length < bytes.Length);
        json.WriteBase64String("base64", shown);
        if (Utf8.IsValid(shown))
        {
            json.WriteString("text", Encoding.UTF8.GetString(shown));
        }
    }

    private static void Number(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
