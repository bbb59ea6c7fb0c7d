using MiAudit.Flows;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Decodes a request into the leaves a person would read: URL path segments, query parameters, headers, cookies and
/// the body (by Content-Encoding, Content-Type and sniffing), each expanded recursively through the encodings
/// telemetry uses. Pure and bounded: bytes in, leaves out.
/// </summary>
public static class RequestDecoder
{
    // Headers that carry protocol mechanics, never data about the user; skipping them is most of a typical request.
    private static readonly HashSet<string> MechanicalHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", ":authority", "content-length", "content-type", "content-encoding", "accept", "accept-encoding",
        "connection", "cache-control", "pragma", "upgrade-insecure-requests", "te", "priority", "dnt", "origin",
        "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user", "sec-ch-ua", "sec-ch-ua-mobile",
        "sec-ch-ua-platform", "if-modified-since", "range", "sec-websocket-version", "sec-websocket-extensions", "upgrade",
    };

    // Paths are immutable: those every request starts from are made once.
    private static readonly LeafPath Body = LeafPath.Root("body");
    private static readonly LeafPath[] PathSegments = Enumerable.Range(0, 16).Select(LeafPath.Root("path").Index).ToArray();
    private static readonly RootPaths Roots = new();

    public static DecodedRequest Decode(Flow flow, DecodeLimits? limits = null)
    {
        var output = new DecodedRequest();
        DecodeInto(flow, output, limits);
        return output;
    }

    /// <summary>Decodes into <paramref name="output"/>, which must be empty (the engine reuses one per thread).</summary>
    internal static void DecodeInto(Flow flow, DecodedRequest output, DecodeLimits? limits = null)
    {
        var expander = new LeafExpander(limits ?? DecodeLimits.Default, output);

        var segments = flow.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            expander.Text(FormEncoding.DecodePercent(segments[i]), i < PathSegments.Length ? PathSegments[i] : LeafPath.Root("path").Index(i));
        }

        foreach (var (name, value) in FormEncoding.Parse(flow.Query))
        {
            output.ParameterNames.Add(name);
            expander.Text(value, Roots.Of("query", name));
        }

        foreach (var header in flow.RequestHeaders)
        {
            if (string.Equals(header.Name, "cookie", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var cookie in header.Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var equals = cookie.IndexOf('=');
                    expander.Text(equals < 0 ? cookie : cookie[(equals + 1)..], Roots.Of("cookie", equals < 0 ? "" : cookie[..equals]));
                }
            }
            else if (!MechanicalHeaders.Contains(header.Name))
            {
                expander.Text(header.Value, Roots.Of("header", header.Name));
            }
        }

        try
        {
            DecodeBody(flow, expander, output);
        }
        catch (Exception e) when (LeafExpander.IsDecodingFault(e))
        {
            expander.Note($"could not decode body: {e.GetType().Name}: {e.Message}");
        }

        DecodeMessages(flow, expander);
    }

    /// <summary>
    /// What the client sent on a WebSocket, each message a location of its own (<c>ws[12].client</c>, the index being
    /// the message's place in the flow). Messages from the server are kept as evidence but not scanned, as responses are not.
    /// </summary>
    private static void DecodeMessages(Flow flow, LeafExpander expander)
    {
        for (var i = 0; i < flow.WebSocketMessages.Count; i++)
        {
            var message = flow.WebSocketMessages[i];
            if (message.Direction != MessageDirection.Client || message.Opcode is not (WebSocketMessage.Text or WebSocketMessage.Binary)
                || message.Payload.Bytes.IsEmpty)
            {
                continue;
            }

            var path = LeafPath.Root("ws").Index(i).Member("client");
            if (message.Payload.Truncated)
            {
                expander.Note($"{path} captured only in part ({message.Payload.Bytes.Length} of {message.Payload.WireLength} bytes)");
            }

            expander.Bytes(message.Payload.Bytes.ToArray(), path, guessed: false);
        }
    }

    private static void DecodeBody(Flow flow, LeafExpander expander, DecodedRequest output)
    {
        var body = flow.RequestBody;
        if (body.Bytes.IsEmpty)
        {
            return;
        }

        if (body.Truncated)
        {
            expander.Note($"request body captured only in part ({body.Bytes.Length} of {body.WireLength} bytes)");
        }

        var bytes = body.Bytes.ToArray();
        var path = Body;
        if (Decompression.FromContentEncoding(flow.RequestHeader("content-encoding")) is { } encoding
            && expander.Inflate(bytes, encoding, path) is { } inflated)
        {
            bytes = inflated;
            path = path.Transform(encoding);
        }

        (bytes, path) = SdkBodyCodings.Undo(flow, bytes, path, expander);

        var contentType = flow.RequestHeader("content-type") ?? "";
        if (IsForm(contentType, bytes, out var formText))
        {
            foreach (var (name, value) in FormEncoding.Parse(formText))
            {
                output.ParameterNames.Add(name);
                expander.Text(value, path.Entry("form", name));
            }
        }
        else if (contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) && MultipartBody.Boundary(contentType) is { } boundary)
        {
            foreach (var part in MultipartBody.Parse(bytes, boundary))
            {
                expander.Bytes(part.Content, path.Entry("part", part.Name), guessed: false);
            }
        }
        else
        {
            expander.Bytes(bytes, path, guessed: false);
        }
    }

    /// <summary>Declared as a form, or sent as text/plain or without a type but shaped like one (beacons do that).</summary>
    private static bool IsForm(string contentType, byte[] bytes, out string text)
    {
        text = "";
        var declared = contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        if (!declared && contentType.Length > 0 && !contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        text = System.Text.Encoding.UTF8.GetString(bytes);
        return declared || FormEncoding.LooksLikeForm(text);
    }
}
