using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// Masked output holds no identifier, tested the strong way: a real audit through the real proxy leaks the phone's
/// identifiers in plain, hashed, base64(gzip(JSON)) and URL-parameter form; every masked output is then read back by
/// MiAudit's own detection with the same profile (the HAR re-imported, the other files scanned as text), and an
/// independent decoder opens every long token in the files.
/// </summary>
public sealed partial class MaskedOutputTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    private const string Imei = "861234567890125";
    private const string AndroidId = "3f8a6b2c1d4e5f60";
    private const string Phone = "+8613812345678";
    private const string Account = "researcher@example.org";

    [Fact]
    public async Task Every_masked_output_of_a_real_audit_holds_no_identifier_for_detection_or_a_decoder()
    {
        var dir = env.WorkDirectory.File("masked");
        Directory.CreateDirectory(dir);
        var profile = Path.Combine(dir, "phone.yaml");
        File.WriteAllText(profile, $"identifiers:\n  imei: \"{Imei}\"\n  android_id: {AndroidId}\n  phone_number: \"{Phone}\"\n  account: {Account}\n");

        await using (var proxy = await env.StartProxyAsync(dir, "--store", "all", "--device-profile", profile))
        {
            using var client = proxy.CreateClient();
            var events = JsonSerializer.Serialize(new object[]
            {
                new Dictionary<string, string> { ["$url"] = $"https://{CliEnvironment.NewsHost}/a?ref=home", ["$device_id"] = AndroidId, ["imei"] = Imei, ["phone"] = Phone },
            });
            var data = Convert.ToBase64String(Encoding.UTF8.GetBytes(events));
            var gzipped = Convert.ToBase64String(Gzip(events));
            var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(Imei)));

            await Send(client, HttpMethod.Get, $"/echo/sa.gif?project=p&data={Uri.EscapeDataString(data)}", null);
            await Send(client, HttpMethod.Post, "/echo/sa", new StringContent($"data_list={Uri.EscapeDataString(gzipped)}&gzip=1", Encoding.UTF8, "application/x-www-form-urlencoded"));
            await Send(client, HttpMethod.Get, $"/echo/c?imei={Imei}&uid={md5}&acct={Uri.EscapeDataString(Account)}", null);
            var body = new ByteArrayContent(Gzip($$"""{"android_id":"{{AndroidId}}","model":"Redmi"}"""));
            body.Headers.ContentType = new("application/json");
            body.Headers.ContentEncoding.Add("gzip");
            await Send(client, HttpMethod.Post, "/echo/batch", body);
            Assert.Equal(0, await proxy.Process.StopAsync());
        }

        // The audit found them: the test has something to hide.
        var unmasked = await Run(dir, "export", "--format", "csv", "--category", "device-id");
        Assert.Contains(Imei, unmasked);

        var outputs = new Dictionary<string, string>();
        foreach (var (name, args) in new (string, string[])[]
                 {
                     ("masked.har", ["export", "--format", "har", "--mask"]),
                     ("masked.csv", ["export", "--format", "csv", "--mask"]),
                     ("masked.jsonl", ["export", "--format", "jsonl", "--mask"]),
                     ("report.html", ["report"]),
                     ("report.md", ["report", "--format", "md"]),
                 })
        {
            await Run(dir, [.. args, "--out", Path.Combine(dir, name)]);
            outputs[name] = File.ReadAllText(Path.Combine(dir, name));
        }

        var findings = await Run(dir, "findings", "--mask", "--limit", "0");
        outputs["findings table"] = findings;
        Assert.Contains("8612*******0125", outputs["masked.csv"]); // masked, not dropped

        // MiAudit's own detection, same profile: the masked HAR re-imported, every other output scanned as a request body.
        var scanned = Path.Combine(dir, "scan.har");
        File.WriteAllText(scanned, HarOf(outputs.Where(o => o.Key != "masked.har").Select(o => o.Value)));
        foreach (var har in new[] { Path.Combine(dir, "masked.har"), scanned })
        {
            var label = Path.GetFileName(har);
            await Run(dir, "import-har", har, "--session-label", label, "--device-profile", profile);
            var leaks = await Run(dir, "export", "--format", "jsonl", "--session", label, "--category", "device-id");
            var accounts = await Run(dir, "export", "--format", "jsonl", "--session", label, "--category", "account");
            Assert.True(leaks.Length + accounts.Length == 0, $"{label}: detection still finds\n{leaks}{accounts}");
        }

        foreach (var (name, text) in outputs)
        {
            var found = IndependentlyDecoded(text).Where(HoldsIdentifier).ToList();
            Assert.True(found.Count == 0, $"{name}: {string.Join("\n", found.Take(3))}");
        }
    }

    private async Task Send(HttpClient client, HttpMethod method, string pathAndQuery, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, env.Https(CliEnvironment.TrackerHost, pathAndQuery)) { Content = content };
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<string> Run(string dir, params string[] args)
    {
        var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(dir, args);
        Assert.True(exitCode == 0, $"miaudit {string.Join(' ', args)}: {stderr}");
        return stdout;
    }

    private static string HarOf(IEnumerable<string> texts) => JsonSerializer.Serialize(new
    {
        log = new
        {
            version = "1.2",
            creator = new { name = "test", version = "1" },
            entries = texts.Select(text => new
            {
                startedDateTime = "2026-12-03T10:00:00.000Z",
                time = 1,
                request = new
                {
                    method = "POST", url = "http://scan.test/", httpVersion = "HTTP/1.1", headers = new[] { new { name = "Content-Type", value = "text/plain" } },
                    queryString = Array.Empty<object>(), cookies = Array.Empty<object>(), headersSize = -1, bodySize = text.Length,
                    postData = new { mimeType = "text/plain", text },
                },
                response = new { status = 200, statusText = "", httpVersion = "HTTP/1.1", headers = Array.Empty<object>(), cookies = Array.Empty<object>(), content = new { size = 0, mimeType = "" }, redirectURL = "", headersSize = -1, bodySize = 0 },
                cache = new { },
                timings = new { send = 0, wait = 1, receive = 0 },
            }),
        },
    });

    private static readonly string[] Forms = IdentifierForms().ToArray();

    private static IEnumerable<string> IdentifierForms()
    {
        foreach (var value in new[] { Imei, AndroidId, Phone, "8613812345678", Account })
        {
            yield return value;
            var bytes = Encoding.UTF8.GetBytes(value);
            yield return Convert.ToHexStringLower(MD5.HashData(bytes));
            yield return Convert.ToHexStringLower(SHA1.HashData(bytes));
            yield return Convert.ToHexStringLower(SHA256.HashData(bytes));
        }
    }

    private static bool HoldsIdentifier(string text) => Forms.Any(f => text.Contains(f, StringComparison.OrdinalIgnoreCase));

    /// <summary>The text, JSON-unescaped, and every long token decoded (percent, base64, base64url, hex, then gzip), recursively.</summary>
    private static IEnumerable<string> IndependentlyDecoded(string text)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([text, JsonUnescaped(text)]);
        while (pending.TryPop(out var current) && seen.Count < 100_000)
        {
            if (!seen.Add(current))
            {
                continue;
            }

            yield return current;
            foreach (Match token in LongToken().Matches(current))
            {
                foreach (var decoded in Decodings(token.Value))
                {
                    pending.Push(decoded);
                }
            }
        }
    }

    /// <summary>JSON string escapes (\u0040, \/) undone, as a reader of the HAR or JSON Lines would see the values.</summary>
    private static string JsonUnescaped(string text) =>
        JsonEscape().Replace(text, m => m.Value[1] == 'u' ? ((char)Convert.ToInt32(m.Value[2..], 16)).ToString() : m.Value[1..]);

    private static IEnumerable<string> Decodings(string token)
    {
        if (token.Contains('%'))
        {
            yield return WebUtility.UrlDecode(token);
        }

        foreach (var bytes in new[] { Base64(token), Base64(token.Replace('-', '+').Replace('_', '/')), Hex(token) })
        {
            if (bytes is null)
            {
                continue;
            }

            yield return Encoding.Latin1.GetString(bytes);
            if (bytes is [0x1f, 0x8b, ..] && Gunzip(bytes) is { } inflated)
            {
                yield return Encoding.UTF8.GetString(inflated);
            }
        }
    }

    private static byte[]? Base64(string token)
    {
        var t = token.TrimEnd('=');
        t = t.PadRight(t.Length + ((4 - (t.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(t);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[]? Hex(string token)
    {
        try
        {
            return token.Length % 2 == 0 ? Convert.FromHexString(token) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[]? Gunzip(byte[] bytes)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    [GeneratedRegex(@"\\(u[0-9a-fA-F]{4}|[/\\""])")]
    private static partial Regex JsonEscape();

    [GeneratedRegex("[A-Za-z0-9+/=_%-]{12,}")]
    private static partial Regex LongToken();
}
