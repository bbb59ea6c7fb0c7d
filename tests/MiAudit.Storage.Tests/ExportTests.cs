using System.Text;
using System.Text.Json;
using CsvHelper;
using MiAudit.Storage.Export;
using MiAudit.Storage.Har;
using MiAudit.Storage.Reading;
using MiAudit.Testing;

namespace MiAudit.Storage.Tests;

public class ExportTests
{
    [Fact]
    public async Task Csv_read_back_by_a_real_parser_equals_the_stored_findings()
    {
        using var dir = new TemporaryDirectory();
        await FlowWriterTests.WriteAsync(dir, StoredData.Record(StoredData.Flow(), StoredData.AwkwardValues.Select(v => StoredData.Finding(v)).ToArray()));
        using var connection = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var rows = new AuditQueries(connection).Findings(new FindingFilter()).ToList();

        var text = new StringWriter();
        Assert.Equal(rows.Count, CsvExporter.Write(rows, text));

        using var csv = CsvReader.FromText(text.ToString(), new CsvReaderOptions());
        csv.ReadHeader();
        Assert.Equal(CsvExporter.Columns, csv.Headers);
        var parsed = new List<Dictionary<string, string>>();
        while (csv.Read())
        {
            parsed.Add(CsvExporter.Columns.ToDictionary(c => c, c => csv.GetString(c)));
        }

        Assert.Equal(rows.Count, parsed.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var value = rows[i].Value;
            var expected = "=+-@\t\r".Contains(value[0]) ? "'" + value : value; // neutralised against formula injection
            Assert.Equal(expected, parsed[i]["value"]);
            Assert.Equal(rows[i].Url, parsed[i]["url"]);
            Assert.Equal("test session", parsed[i]["session"]);
            Assert.Equal("high", parsed[i]["severity"]);
            Assert.Equal("query[data] → base64 → json.properties.$url", parsed[i]["leaf_path"]);
            Assert.Equal("base64 → json", parsed[i]["transforms"]);
        }
    }

    [Fact]
    public async Task Jsonl_has_one_parseable_object_per_finding()
    {
        using var dir = new TemporaryDirectory();
        await FlowWriterTests.WriteAsync(dir, StoredData.Record(StoredData.Flow(), StoredData.AwkwardValues.Select(v => StoredData.Finding(v)).ToArray()));
        using var connection = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        using var output = new MemoryStream();

        JsonlExporter.Write(new AuditQueries(connection).Findings(new FindingFilter()), output);

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(StoredData.AwkwardValues.Length, lines.Length);
        Assert.Equal(StoredData.AwkwardValues, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("value").GetString()));
        Assert.All(lines, l => Assert.Equal(["base64", "json"],
            JsonDocument.Parse(l).RootElement.GetProperty("transforms").EnumerateArray().Select(t => t.GetString()!)));
    }

    [Fact]
    public async Task Har_has_the_1_2_structure_and_reimports_to_the_same_flows()
    {
        using var dir = new TemporaryDirectory();
        var binary = new byte[] { 0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0xff, 0xfe };
        await FlowWriterTests.WriteAsync(dir,
            StoredData.Record(StoredData.Flow(), StoredData.Finding("https://news.example/a")),
            StoredData.Record(StoredData.Flow(host: "t.example", path: "/c", query: "?q=%41+b&x", requestBody: binary, responseBody: StoredData.Utf8("{\"ok\":\"小米\"}"))),
            StoredData.Record(StoredData.Socket()));
        using var connection = AuditDatabase.Open(dir.File("a.db"), readOnly: true);
        var stored = new AuditQueries(connection).Flows(new FindingFilter()).ToList();
        using var output = new MemoryStream();

        HarWriter.Write(stored, output, "test");

        var log = JsonDocument.Parse(output.ToArray()).RootElement.GetProperty("log");
        Assert.Equal("1.2", log.GetProperty("version").GetString());
        Assert.Equal("MiAudit", log.GetProperty("creator").GetProperty("name").GetString());
        foreach (var entry in log.GetProperty("entries").EnumerateArray())
        {
            foreach (var field in new[] { "startedDateTime", "time", "request", "response", "cache", "timings" })
            {
                Assert.True(entry.TryGetProperty(field, out _), $"entry lacks {field}");
            }

            foreach (var field in new[] { "method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize" })
            {
                Assert.True(entry.GetProperty("request").TryGetProperty(field, out _), $"request lacks {field}");
            }

            foreach (var field in new[] { "status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize" })
            {
                Assert.True(entry.GetProperty("response").TryGetProperty(field, out _), $"response lacks {field}");
            }

            Assert.True(DateTimeOffset.TryParse(entry.GetProperty("startedDateTime").GetString(), out _));
        }

        Assert.Equal("visited-url-leak", log.GetProperty("entries")[0].GetProperty("_miaudit").GetProperty("findings")[0].GetProperty("rule").GetString());

        output.Position = 0;
        var reimported = HarReader.Read(output, "export.har");
        Assert.Equal(stored.Select(s => s.Flow), reimported, FlowComparer.Instance);
    }

    [Fact]
    public void Chrome_devtools_har_files_import()
    {
        const string chrome = """
            {"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[
              {"startedDateTime":"2026-11-25T10:00:00.000Z","time":42.5,
               "request":{"method":"POST","url":"https://sa.example.com/sa.gif?project=p","httpVersion":"http/2.0",
                 "headers":[{"name":":authority","value":"sa.example.com"},{"name":"content-type","value":"application/x-www-form-urlencoded"}],
                 "queryString":[{"name":"project","value":"p"}],"cookies":[],"headersSize":-1,"bodySize":9,
                 "postData":{"mimeType":"application/x-www-form-urlencoded","text":"data=eyJ9"}},
               "response":{"status":200,"statusText":"","httpVersion":"http/2.0","headers":[],"cookies":[],
                 "content":{"size":0,"mimeType":"image/gif"},"redirectURL":"","headersSize":-1,"bodySize":0},
               "cache":{},"timings":{"send":0,"wait":40,"receive":2.5},"_initiator":{"type":"script"}}]}}
            """;

        var flow = Assert.Single(HarReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(chrome)), "chrome.har"));

        Assert.Equal("POST", flow.Method);
        Assert.Equal("/sa.gif", flow.Path);
        Assert.Equal("?project=p", flow.Query);
        Assert.Equal("HTTP/2", flow.HttpVersion);
        Assert.Equal("data=eyJ9", Encoding.UTF8.GetString(flow.RequestBody.Bytes.Span));
        Assert.DoesNotContain(flow.RequestHeaders, h => h.Name.StartsWith(':'));
    }

    [Fact]
    public void Files_that_are_not_har_are_refused_with_the_reason()
    {
        var error = Assert.Throws<StorageException>(() => HarReader.Read(new MemoryStream(Encoding.UTF8.GetBytes("{\"hello\":1}")), "x.har"));
        Assert.Contains("not a HAR file", error.Message);
    }
}
