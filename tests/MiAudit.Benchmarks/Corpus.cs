using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using MiAudit.Flows;
using MiAudit.Testing;

namespace MiAudit.Benchmarks;

/// <summary>
/// A mixed corpus of typical requests (bodies under 4 KiB): page loads and assets as a browser sends them, and
/// telemetry in the Sensors Analytics wire formats (JS image and ajax, Android gzip batches).
/// </summary>
public static class Corpus
{
    public const string AndroidId = "3f8a6b2c1d4e5f60";
    public const string Page = "https://news.example.com/politics/article-42?ref=home";

    private const string UserAgent = "Mozilla/5.0 (Linux; Android 10; Redmi Note 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 XiaoMi/MiuiBrowser/13.5.40";

    public static Flow Navigation => Build("GET", Page, [new("Sec-Fetch-Mode", "navigate"), new("Sec-Fetch-Dest", "document"), new("Accept", "text/html")], null, null);

    /// <summary>Ordinary requests and telemetry, about two ordinary ones per telemetry upload.</summary>
    public static IReadOnlyList<Flow> Mixed()
    {
        var pageView = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["distinct_id"] = "18c2f5a0b1e-0c7d0a0e5b7c1a-4c657b58-360000-18c2f5a0b1f5d3",
            ["lib"] = new Dictionary<string, string> { ["$lib"] = "js", ["$lib_version"] = "1.27.11" },
            ["properties"] = new Dictionary<string, object> { ["$url"] = Page, ["$title"] = "Parliament votes", ["$referrer"] = "https://news.example.com/", ["$screen_width"] = 412 },
            ["type"] = "track",
            ["event"] = "$pageview",
            ["time"] = 1764064800123,
        });
        var jsData = Convert.ToBase64String(Encoding.UTF8.GetBytes(pageView));
        var android = Enumerable.Range(0, 5).Select(i => new Dictionary<string, object>
        {
            ["event"] = "page_load_event_finish",
            ["properties"] = new Dictionary<string, string> { ["url"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Page + "&n=" + i)), ["$device_id"] = AndroidId, ["$model"] = "Redmi Note 8 Pro" },
        }).ToArray();
        var dataList = Convert.ToBase64String(Gzip(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(android))));

        return
        [
            Build("GET", "https://cdn.example.net/static/app.3f9a1c.js", [new("Accept", "*/*"), new("Referer", "https://news.example.com/")], null, null),
            Build("GET", "https://news.example.com/api/comments?article=42&page=2", [new("Accept", "application/json"), new("Cookie", "session=dGhpcyBpcyBhIHNlc3Npb24; theme=dark; _ga=GA1.2.1234567890.1764064800")], null, null),
            Build("GET", $"https://sa.tracker.example/sa.gif?project=default&data={Uri.EscapeDataString(jsData)}&ext=crc%3D-948673889", [new("Accept", "image/*")], null, null),
            Build("GET", "https://fonts.example.net/css2?family=Roboto:wght@400;700&display=swap", [new("Accept", "text/css")], null, null),
            Build("POST", "https://news.example.com/api/like", [new("Content-Type", "application/json")], "{\"article\":42,\"like\":true}", "application/json"),
            Build("POST", "https://sa.tracker.example/sa.gif?project=default", [], $"data={Uri.EscapeDataString(jsData)}&ext=crc%3D-948673889", "application/x-www-form-urlencoded"),
            Build("GET", "https://img.example.net/photos/parliament.jpg?w=800&h=450&fit=crop", [new("Accept", "image/avif,image/webp")], null, null),
            Build("POST", "https://sa.api.intl.miui.com/sa?project=global_browser_mini&r=IN", [], $"crc=1&gzip=1&data_list={WebUtility.UrlEncode(dataList)}", "application/x-www-form-urlencoded"),
            Build("GET", "https://news.example.com/politics/", [new("Accept", "text/html"), new("Referer", "https://news.example.com/")], null, null),
        ];
    }

    private static Flow Build(string method, string url, HeaderField[] headers, string? body, string? contentType)
    {
        var uri = new Uri(url);
        HeaderField[] common = [new("Host", uri.Authority), new("User-Agent", UserAgent), new("Accept-Language", "en-IN,en;q=0.9"), new("Accept-Encoding", "gzip, deflate, br")];
        HeaderField[] all = [.. common, .. headers, .. contentType is null ? [] : new HeaderField[] { new("Content-Type", contentType) }];
        return SampleFlows.Https(DateTimeOffset.UtcNow, uri.Host, uri.AbsolutePath, uri.Query, all, body is null ? null : Encoding.UTF8.GetBytes(body)) with { Method = method };
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
