using System.Text;

namespace MiAudit.Detection.Decoding;

/// <summary>Splits <c>multipart/form-data</c> into its parts' names and contents.</summary>
internal static class MultipartBody
{
    public sealed record Part(string Name, string? ContentType, byte[] Content);

    public static string? Boundary(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        foreach (var parameter in contentType.Split(';'))
        {
            var trimmed = parameter.Trim();
            if (trimmed.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
            {
                return trimmed["boundary=".Length..].Trim('"');
            }
        }

        return null;
    }

    public static List<Part> Parse(byte[] body, string boundary)
    {
        var parts = new List<Part>();
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var span = body.AsSpan();
        var start = span.IndexOf(delimiter);
        while (start >= 0)
        {
            var afterDelimiter = start + delimiter.Length;
            var next = span[afterDelimiter..].IndexOf(delimiter);
            if (next < 0)
            {
                break;
            }

            var partBytes = span.Slice(afterDelimiter, next);
            var headEnd = partBytes.IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                var head = Encoding.UTF8.GetString(partBytes[..headEnd]);
                var content = partBytes[(headEnd + 4)..];
                if (content.EndsWith("\r\n"u8))
                {
                    content = content[..^2];
                }

                parts.Add(new Part(HeaderParameter(head, "name") ?? $"part{parts.Count}", HeaderValue(head, "content-type"), content.ToArray()));
            }

            start = afterDelimiter + next;
        }

        return parts;
    }

    private static string? HeaderValue(string head, string name) =>
        head.Split("\r\n").Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();

    private static string? HeaderParameter(string head, string parameter)
    {
        var disposition = HeaderValue(head, "content-disposition");
        var marker = parameter + "=\"";
        var at = disposition?.IndexOf(marker, StringComparison.OrdinalIgnoreCase) ?? -1;
        if (at < 0)
        {
            return null;
        }

        var valueStart = at + marker.Length;
        var end = disposition!.IndexOf('"', valueStart);
        return end < 0 ? null : disposition[valueStart..end];
    }
}
