using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>How the web UI starts beside the proxy and on its own (<c>miaudit ui</c>), over SQLite and PostgreSQL.</summary>
public sealed partial class WebUiCommandTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task A_busy_ui_port_is_a_warning_and_the_proxy_still_runs()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var busy = ((IPEndPoint)holder.LocalEndpoint).Port;
        var dir = env.PhoneDirectory("ui-busy");
        await using var proxy = await env.StartProxyAsync(dir, "--ui", $"127.0.0.1:{busy}");
        await proxy.Process.WaitForOutputAsync("Web UI: off");
        using var client = proxy.CreateClient();
        (await client.GetAsync(env.Https(TlsOrigin.HostName, "/echo/still-works"))).EnsureSuccessStatusCode();
        Assert.Contains($"127.0.0.1:{busy} is in use", proxy.Process.Output);
        Assert.Equal(0, await proxy.Process.StopAsync());
    }

    [Fact]
    public async Task An_address_other_devices_reach_needs_its_own_flag_and_no_ui_switches_it_off()
    {
        var dir = env.PhoneDirectory("ui-remote");
        var refused = await MiAuditProcess.RunAsync(dir, "run", "--listen", "127.0.0.1:0", "--ui", "0.0.0.0:0");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--ui-allow-remote", refused.StdErr);

        await using var proxy = await env.StartProxyAsync(dir, "--no-ui");
        await proxy.Process.WaitForOutputAsync("Web UI: off (--no-ui)");
        Assert.Equal(0, await proxy.Process.StopAsync());
    }

    [Fact]
    public async Task The_ui_command_serves_a_stored_PostgreSQL_audit_with_its_token_and_refuses_a_missing_database()
    {
        var cluster = await PostgresCluster.Shared;
        var url = cluster.Url(await cluster.CreateDatabaseAsync($"ui_{Environment.ProcessId}"));
        var dir = env.PhoneDirectory("ui-command");
        await using (var proxy = await env.StartProxyAsync(dir, "--db", url, "--store", "all", "--no-ui", "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            await env.BrowseAndLeakAsync(client);
            Assert.Equal(0, await proxy.Process.StopAsync());
        }

        await using var ui = MiAuditProcess.Start(dir, ["ui", "--db", url, "--ui", "127.0.0.1:0"]);
        await ui.WaitForOutputAsync("Web UI: http://");
        Assert.DoesNotContain(cluster.Password, ui.Output);
        var link = UiUrl().Match(ui.Output).Value;
        var token = link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        var root = new Uri(link).GetLeftPart(UriPartial.Authority);
        using var browser = new HttpClient(new HttpClientHandler { UseCookies = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(root + "/api/flows")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, root + "/api/flows?category=url-leak&host=*.tracker-b.test");
        request.Headers.Add("Cookie", $"miaudit_ui={token}");
        using var answer = await browser.SendAsync(request);
        Assert.Contains("default-src 'self'", answer.Headers.GetValues("Content-Security-Policy").Single());
        var flows = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("flows");
        Assert.Equal(CliEnvironment.TrackerHost, Assert.Single(flows.EnumerateArray()).GetProperty("host").GetString());

        var missing = await MiAuditProcess.RunAsync(dir, "ui", "--db", Path.Combine(dir, "nothing-here.db"), "--ui", "127.0.0.1:0");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no database at", missing.StdErr);
    }

    [Fact]
    public async Task With_mask_no_identifier_reaches_the_page_in_any_view()
    {
        var dir = env.PhoneDirectory("ui-mask");
        await using (var proxy = await env.StartProxyAsync(dir, "--store", "all", "--no-ui", "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            await env.BrowseAndLeakAsync(client);
            Assert.Equal(0, await proxy.Process.StopAsync());
        }

        async Task<string> EverythingShown(params string[] extra)
        {
            await using var ui = MiAuditProcess.Start(dir, ["ui", "--ui", "127.0.0.1:0", .. extra]);
            await ui.WaitForOutputAsync("Web UI: http://");
            var link = UiUrl().Match(ui.Output).Value;
            var root = new Uri(link).GetLeftPart(UriPartial.Authority);
            using var browser = new HttpClient(new HttpClientHandler { UseCookies = false });
            browser.DefaultRequestHeaders.Add("Cookie", $"miaudit_ui={link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..]}");
            var list = await browser.GetStringAsync(root + "/api/flows");
            var shown = new System.Text.StringBuilder(list);
            foreach (var flow in JsonDocument.Parse(list).RootElement.GetProperty("flows").EnumerateArray())
            {
                var detail = await browser.GetStringAsync(root + "/api/flows/" + flow.GetProperty("id").GetInt64());
                shown.Append(detail);
                // Bodies travel as base64 for the hex view: decode them too.
                foreach (var body in new[] { "requestBody", "responseBody" })
                {
                    shown.Append(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(JsonDocument.Parse(detail).RootElement.GetProperty(body).GetProperty("base64").GetString()!)));
                }
            }

            return shown.ToString();
        }

        Assert.Contains(CliEnvironment.AndroidId, await EverythingShown());
        Assert.DoesNotContain(CliEnvironment.AndroidId, await EverythingShown("--mask"));
    }

    [Fact]
    public async Task Search_goes_through_the_index_once_it_has_caught_up_and_finds_what_only_a_decoded_layer_holds()
    {
        var dir = env.PhoneDirectory("ui-index");
        await StoreHiddenValuesAsync(dir, "deep", 30);
        var match = await SearchOnceIndexedAsync(dir, "deep-17-XQ");
        Assert.Contains("/echo/t?d=", match.GetProperty("url").GetString());
        Assert.True(File.Exists(Path.Combine(dir, "miaudit.db.search")), "no index file beside the database");

        // The database deleted and made anew at the path, its index file left: the old entries must not stand in.
        foreach (var file in Directory.GetFiles(dir, "miaudit.db*").Where(f => !f.Contains(".search", StringComparison.Ordinal)))
        {
            File.Delete(file);
        }

        await StoreHiddenValuesAsync(dir, "fresh", 5);
        Assert.Contains("/echo/t?d=", (await SearchOnceIndexedAsync(dir, "fresh-3-xq")).GetProperty("url").GetString());
    }

    private async Task StoreHiddenValuesAsync(string dir, string word, int count)
    {
        await using var proxy = await env.StartProxyAsync(dir, "--store", "all", "--no-ui");
        using var client = proxy.CreateClient();
        for (var i = 0; i < count; i++)
        {
            var hidden = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{{\"page\":\"https://news.example/{word}-{i}-xq\"}}"));
            (await client.GetAsync(env.Https(TlsOrigin.HostName, $"/echo/t?d={Uri.EscapeDataString(hidden)}"))).EnsureSuccessStatusCode();
        }

        Assert.Equal(0, await proxy.Process.StopAsync());
    }

    /// <summary>Searches through 'miaudit ui' until every flow is indexed ("scanned": 0: none decoded); the one match.</summary>
    private static async Task<JsonElement> SearchOnceIndexedAsync(string dir, string text)
    {
        await using var ui = MiAuditProcess.Start(dir, ["ui", "--ui", "127.0.0.1:0"]);
        await ui.WaitForOutputAsync("Web UI: http://");
        var link = UiUrl().Match(ui.Output).Value;
        var root = new Uri(link).GetLeftPart(UriPartial.Authority);
        using var browser = new HttpClient(new HttpClientHandler { UseCookies = false });
        browser.DefaultRequestHeaders.Add("Cookie", $"miaudit_ui={link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..]}");
        JsonElement answer = default;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            answer = JsonDocument.Parse(await browser.GetStringAsync(root + "/api/flows?q=" + text)).RootElement;
            if (answer.GetProperty("scanned").GetInt32() == 0 && answer.GetProperty("flows").GetArrayLength() > 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal(0, answer.GetProperty("scanned").GetInt32());
        return Assert.Single(answer.GetProperty("flows").EnumerateArray());
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}")]
    private static partial Regex UiUrl();
}
