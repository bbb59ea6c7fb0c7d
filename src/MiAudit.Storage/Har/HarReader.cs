using System.Globalization;
using System.Text;
using System.Text.Json;
using MiAudit.Flows;

namespace MiAudit.Storage.Har;

/// <summary>
/// Reads HAR 1.2 files from other tools (Chrome DevTools, mitmproxy, HTTP Toolkit) and MiAudit's own exports into
/// flows, so they can be stored and scanned like captured ones.
/// </summary>
public static class HarReader
{
    /// <exception cref="StorageException">The file is not HAR.</exception>
    public static IReadOnlyList<Flow> Read(Stream input, string sourceName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(input, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new StorageException($"{sourceName}: not JSON ({e.Message})", e);
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("log", out var log) || !log.TryGetProperty("entries", out var entries))
            {
                throw new StorageException($"{sourceName}: not a HAR file (no log.entries)");
            }

            var flows = new List<Flow>();
            var index = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                try
                {
                    flows.Add(ReadEntry(entry));
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or UriFormatException)
                {
                    throw new StorageException($"{sourceName}: entry {index} is not valid HAR ({e.Message})", e);
                }

                index++;
            }

            return flows;
        }
    }

    private static Flow ReadEntry(JsonElement entry)
    {
        var request = entry.GetProperty("request");
        var response = entry.TryGetProperty("response", out var r) ? r : default;
        var started = DateTimeOffset.Parse(entry.GetProperty("startedDateTime").GetString()!, CultureInfo.InvariantCulture);
        var time = entry.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0;
        var url = request.GetProperty("url").GetString()!;
        var (scheme, host, port, path, query) = SplitUrl(url);
        var miaudit = entry.TryGetProperty("_miaudit", out var m) ? m : default;
        var status = response.ValueKind == JsonValueKind.Object && response.GetProperty("status").GetInt32() is var code and > 0 ? code : (int?)null;
        var messages = entry.TryGetProperty("_webSocketMessages", out var list) && list.ValueKind == JsonValueKind.Array ? Messages(list) : null;

        return new Flow
        {
            WebSocketMessages = messages ?? [],
            WebSocketTotals = messages is null ? null : new MessageTotals(
                messages.Count(m => m.Direction == MessageDirection.Client), messages.Where(m => m.Direction == MessageDirection.Client).Sum(m => m.Payload.WireLength),
                messages.Count(m => m.Direction == MessageDirection.Server), messages.Where(m => m.Direction == MessageDirection.Server).Sum(m => m.Payload.WireLength)),
            StartedAt = started,
            CompletedAt = started.AddMilliseconds(Math.Max(0, time)),
            ClientAddress = String(miaudit, "clientAddress") ?? "",
            Transport = String(miaudit, "transport") is { } transport && Enum.TryParse<FlowTransport>(transport, out var parsed)
                ? parsed
                : scheme == "https" ? FlowTransport.InterceptedTls : FlowTransport.PlainHttp,
            HttpVersion = NormalizeVersion(String(request, "httpVersion")),
            Method = request.GetProperty("method").GetString()!,
            Scheme = scheme,
            Host = host,
            Port = port,
            Path = path,
            Query = query,
            RequestHeaders = Headers(request),
            RequestBody = RequestBody(request),
            StatusCode = status,
            ResponseHeaders = response.ValueKind == JsonValueKind.Object ? Headers(response) : [],
            ResponseBody = response.ValueKind == JsonValueKind.Object ? ResponseBody(response) : CapturedBody.Empty,
        };
    }

    /// <summary>Chrome's <c>_webSocketMessages</c>: type send/receive, time in Unix seconds, opcode, data (base64 when binary).</summary>
    private static List<WebSocketMessage> Messages(JsonElement list) =>
        list.EnumerateArray().Select(message =>
        {
            var opcode = message.TryGetProperty("opcode", out var op) && op.ValueKind == JsonValueKind.Number ? op.GetInt32() : WebSocketMessage.Text;
            var data = String(message, "data") ?? "";
            var bytes = opcode == WebSocketMessage.Text ? Encoding.UTF8.GetBytes(data) : Convert.FromBase64String(data);
            var seconds = message.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.Number ? time.GetDouble() : 0;
            return new WebSocketMessage(
                String(message, "type") == "send" ? MessageDirection.Client : MessageDirection.Server,
                DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)),
                opcode,
                new CapturedBody(bytes, Math.Max(bytes.Length, Size(message, "_size"))));
        }).ToList();

    /// <summary>Splits a URL without canonicalising it, so the path and query stay as they were sent.</summary>
    private static (string Scheme, string Host, int Port, string Path, string Query) SplitUrl(string url)
    {
        var uri = new Uri(url);
        var afterAuthority = url.IndexOf('/', url.IndexOf("://", StringComparison.Ordinal) + 3);
        var rest = afterAuthority < 0 ? "/" : url[afterAuthority..];
        var fragment = rest.IndexOf('#');
        if (fragment >= 0)
        {
            rest = rest[..fragment];
        }

        var queryStart = rest.IndexOf('?');
        return (uri.Scheme, uri.Host.Trim('[', ']'), uri.Port, queryStart < 0 ? rest : rest[..queryStart], queryStart < 0 ? "" : rest[queryStart..]);
    }

    private static IReadOnlyList<HeaderField> Headers(JsonElement message) =>
        message.TryGetProperty("headers", out var headers)
            ? headers.EnumerateArray()
                .Select(h => new HeaderField(h.GetProperty("name").GetString()!, h.GetProperty("value").GetString() ?? ""))
                .Where(h => !h.Name.StartsWith(':')) // HTTP/2 pseudo-headers: already in the URL and method
                .ToArray()
            : [];

    private static CapturedBody RequestBody(JsonElement request)
    {
        if (!request.TryGetProperty("postData", out var postData) || String(postData, "text") is not { } text)
        {
            return CapturedBody.Empty;
        }

        var bytes = String(postData, "_encoding") == "base64" ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
        return new CapturedBody(bytes, Math.Max(bytes.Length, Size(request, "bodySize")));
    }

    private static CapturedBody ResponseBody(JsonElement response)
    {
        if (!response.TryGetProperty("content", out var content) || String(content, "text") is not { } text)
        {
            return CapturedBody.Empty;
        }

        var bytes = String(content, "encoding") == "base64" ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
        return new CapturedBody(bytes, Math.Max(bytes.Length, Size(response, "bodySize")));
    }

    private static long Size(JsonElement element, string name) =>
        element.TryGetProperty(name, out var size) && size.ValueKind == JsonValueKind.Number ? size.GetInt64() : 0;

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string NormalizeVersion(string? version) => version?.ToLowerInvariant() switch
    {
        null or "" => "",
        "h2" or "http/2.0" or "http/2" => "HTTP/2",
        "h3" or "http/3.0" or "http/3" => "HTTP/3",
        "http/1.0" => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
}
