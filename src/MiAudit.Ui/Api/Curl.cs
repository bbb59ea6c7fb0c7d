using System.Text;
using System.Text.Unicode;
using MiAudit.Flows;

namespace MiAudit.Ui.Api;

/// <summary>"Copy as curl": the request as a shell command, every argument single-quoted (nothing in it is expanded).</summary>
internal static class Curl
{
    // Headers curl makes itself, or that describe the connection rather than the request.
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase) { "host", "content-length", "connection", "transfer-encoding" };

    public static string Command(Flow flow)
    {
        var command = new StringBuilder("curl");
        if (flow.HttpVersion == "HTTP/2")
        {
            command.Append(" --http2");
        }

        command.Append(" -X ").Append(Quote(flow.Method)).Append(' ').Append(Quote(flow.Url));
        foreach (var header in flow.RequestHeaders.Where(h => !Skipped.Contains(h.Name) && !h.Name.StartsWith(':')))
        {
            command.Append(" \\\n  -H ").Append(Quote($"{header.Name}: {header.Value}"));
        }

        var body = flow.RequestBody.Bytes.Span;
        if (!body.IsEmpty)
        {
            command.Append(Utf8.IsValid(body) && !body.Contains((byte)0)
                ? " \\\n  --data-binary " + Quote(Encoding.UTF8.GetString(body))
                : " \\\n  --data-binary @body.bin   # binary body: save it from the flow's hex view");
        }

        if (flow.RequestBody.Truncated)
        {
            command.Append("\n# the body was cut at the capture limit: the command sends only what was kept");
        }

        return command.ToString();
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
