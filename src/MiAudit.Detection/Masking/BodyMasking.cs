using System.IO.Compression;
using System.Text;
using MiAudit.Detection.Decoding;
using MiAudit.Flows;

namespace MiAudit.Detection.Masking;

/// <summary>
/// Masks bodies and messages: compressed ones are opened, masked and compressed again in the same format (so a HAR
/// viewer still reads them, and a decoder finds only masked text), text is masked as text, and other binary data in
/// place, byte for byte. <see cref="Verified"/> then decodes the masked flow as detection would and blanks any part
/// in which an identifier can still be found.
/// </summary>
internal static class BodyMasking
{
    private const int MaxInflated = 64 * 1024 * 1024;

    public static byte[] Mask(byte[] bytes, string? contentEncoding, MaskingPolicy policy)
    {
        var format = Decompression.FromContentEncoding(contentEncoding) ?? Decompression.SniffFormat(bytes);
        if (format is not null && Decompression.TryDecompress(bytes, format, MaxInflated, out var truncated) is { } inflated && !truncated)
        {
            var inner = Mask(inflated, null, policy);
            return inner.AsSpan().SequenceEqual(inflated) ? bytes : Compress(inner, format, bytes);
        }

        if (TextSniffing.AsReadableText(bytes) is { } text)
        {
            var masked = policy.Text(text);
            return masked == text ? bytes : Encoding.UTF8.GetBytes(masked);
        }

        // Binary (protobuf, a custom framing): identifiers and tokens are masked where they are, length kept.
        var latin1 = Encoding.Latin1.GetString(bytes);
        var inPlace = EncodedTokens.Mask(policy.MaskPlain(latin1), policy.Holds);
        return inPlace == latin1 ? bytes : Encoding.Latin1.GetBytes(inPlace);
    }

    /// <summary>
    /// The masked flow, decoded as detection decodes a request (and its response the same way): every location in which
    /// an identifier form is still found is masked whole. Nothing detection can read in the output names the device.
    /// </summary>
    public static Flow Verified(Flow flow, MaskingPolicy policy)
    {
        flow = Blank(flow, policy.LeakingRoots(flow).ToList());
        var response = flow with
        {
            Path = "/",
            Query = "",
            RequestHeaders = flow.ResponseHeaders,
            RequestBody = flow.ResponseBody,
            WebSocketMessages = flow.WebSocketMessages
                .Where(m => m.Direction == MessageDirection.Server)
                .Select(m => m with { Direction = MessageDirection.Client })
                .ToList(),
        };
        var blanked = Blank(response, policy.LeakingRoots(response).ToList());
        if (ReferenceEquals(blanked, response))
        {
            return flow;
        }

        var serverMessages = new Queue<WebSocketMessage>(blanked.WebSocketMessages);
        return flow with
        {
            ResponseHeaders = blanked.RequestHeaders,
            ResponseBody = blanked.RequestBody,
            WebSocketMessages = flow.WebSocketMessages
                .Select(m => m.Direction == MessageDirection.Server ? serverMessages.Dequeue() with { Direction = MessageDirection.Server } : m)
                .ToList(),
        };
    }

    private static Flow Blank(Flow flow, List<string> locations)
    {
        if (locations.Count == 0)
        {
            return flow;
        }

        bool Hit(string prefix) => locations.Any(l => l == prefix || l.StartsWith(prefix + "[", StringComparison.Ordinal));
        bool HeaderHit(HeaderField h) =>
            locations.Contains($"header[{h.Name}]") || (string.Equals(h.Name, "cookie", StringComparison.OrdinalIgnoreCase) && Hit("cookie"));

        return flow with
        {
            Path = Hit("path") ? "/" + ValueMasking.Mask(flow.Path.TrimStart('/')) : flow.Path,
            Query = Hit("query") ? "?" + ValueMasking.Mask(flow.Query.TrimStart('?')) : flow.Query,
            RequestHeaders = flow.RequestHeaders.Select(h => HeaderHit(h) ? h with { Value = ValueMasking.Mask(h.Value) } : h).ToList(),
            RequestBody = Hit("body") ? Stars(flow.RequestBody) : flow.RequestBody,
            WebSocketMessages = Hit("ws")
                ? flow.WebSocketMessages.Select(m => m.Direction == MessageDirection.Client ? m with { Payload = Stars(m.Payload) } : m).ToList()
                : flow.WebSocketMessages,
        };
    }

    private static CapturedBody Stars(CapturedBody body) =>
        body.Bytes.IsEmpty ? body : body.WithBytes(Enumerable.Repeat((byte)'*', body.Bytes.Length).ToArray());

    /// <summary>The masked content in the format it came in; the bytes of that format were what was sent.</summary>
    private static byte[] Compress(byte[] content, string format, byte[] original)
    {
        using var output = new MemoryStream();
        using (var stream = Open(output, format, original))
        {
            stream.Write(content);
        }

        return output.ToArray();
    }

    private static Stream Open(Stream output, string format, byte[] original) => format switch
    {
        "gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
        "zlib" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
        "deflate" when Decompression.SniffFormat(original) == "zlib" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
        "deflate" => new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true),
        "br" => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
        "zstd" => new ZstdSharp.CompressionStream(output, leaveOpen: true),
        _ => throw new ArgumentException($"unknown format {format}"),
    };
}
