using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;

namespace MiAudit.Detection.Tests;

/// <summary>
/// The Sensors Analytics SDKs' encodings, reproduced from their source (sa-sdk-javascript 1.27.11
/// dist/web/sensorsdata.js: gt(), U(), ie(); sa-sdk-android AnalyticsMessages.sendHttpRequest).
/// </summary>
public static class SensorsWire
{
    /// <summary>JS U(): btoa of the UTF-8 bytes of the string.</summary>
    public static string JsBase64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>JS ie(): Java's String.hashCode over UTF-16 code units, as a signed 32-bit integer.</summary>
    public static int JsHashCode(string text)
    {
        var hash = 0;
        foreach (var c in text)
        {
            hash = unchecked((hash << 5) - hash + c);
        }

        return hash;
    }

    /// <summary>JS gt(): <c>data=encodeURIComponent(U(json))&amp;ext=encodeURIComponent("crc="+ie(U(json)))</c>.</summary>
    public static string JsTrackData(object @event)
    {
        var base64 = JsBase64(JsonSerializer.Serialize(@event));
        return $"data={Uri.EscapeDataString(base64)}&ext={Uri.EscapeDataString("crc=" + JsHashCode(base64))}";
    }

    /// <summary>JS batch_send: <c>data_list=encodeURIComponent(U(JSON.stringify(events)))</c>.</summary>
    public static string JsBatch(object[] events) => "data_list=" + Uri.EscapeDataString(JsBase64(JsonSerializer.Serialize(events)));

    /// <summary>Android/iOS: <c>crc=…&amp;gzip=1&amp;data_list=urlencode(base64(gzip(json array)))</c>.</summary>
    public static string AndroidGzip(object[] events)
    {
        var json = JsonSerializer.Serialize(events);
        var dataList = Convert.ToBase64String(Gzip(Encoding.UTF8.GetBytes(json)));
        return $"crc={JsHashCode(dataList)}&gzip=1&data_list={WebUtility.UrlEncode(dataList)}";
    }

    /// <summary>Android with an encryption plugin (gzip=9): records of ekey/pkv/payloads, content unreadable.</summary>
    public static string AndroidEncrypted()
    {
        var random = new Random(7);
        var payload = new byte[160];
        random.NextBytes(payload);
        var ekey = new byte[128];
        random.NextBytes(ekey);
        var records = new[] { new { ekey = Convert.ToBase64String(ekey), pkv = 3, payloads = new[] { Convert.ToBase64String(payload) } } };
        var dataList = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(records)));
        return $"crc={JsHashCode(dataList)}&gzip=9&data_list={WebUtility.UrlEncode(dataList)}";
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>A JS SDK $pageview event for <paramref name="url"/>.</summary>
    public static object PageView(string url, string referrer = "") => new Dictionary<string, object>
    {
        ["distinct_id"] = "18c2f5a0b1e-0c7d0a0e5b7c1a-4c657b58-360000-18c2f5a0b1f5d3",
        ["lib"] = new Dictionary<string, object> { ["$lib"] = "js", ["$lib_version"] = "1.27.11" },
        ["properties"] = new Dictionary<string, object>
        {
            ["$url"] = url,
            ["$url_path"] = new Uri(url).AbsolutePath,
            ["$title"] = "Page",
            ["$referrer"] = referrer,
            ["$screen_width"] = 412,
        },
        ["type"] = "track",
        ["event"] = "$pageview",
        ["time"] = 1764064800123,
        ["_track_id"] = 123456789,
    };
}
