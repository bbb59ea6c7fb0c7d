using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// A real headless Chromium opens a page whose script talks to a chat/telemetry host over a WebSocket (Chromium offers
/// permessage-deflate, the origin accepts it): the page URL and the device's Android ID travel in a message, and the
/// audit must find both, name the message, keep the messages, and export them in HAR as Chrome does.
/// </summary>
public sealed class WebSocketAuditTests : IAsyncLifetime
{
    private const string AndroidId = "3f8a6b2c1d4e5f60";
    private const string News = "www.dailynews.test";
    private const string Chat = "chat.tracker.test";
    private const string PagePath = "/politics/article-7?ref=home";
    private const int Ticks = 40;

    private readonly TestCertificates _certificates = new();
    private readonly TemporaryDirectory _work = new("miaudit-ws");
    private TlsOrigin _origin = null!;

    public async Task InitializeAsync()
    {
        _origin = await TlsOrigin.StartAsync(_certificates.CreateServerCertificate(News, Chat), app => app.MapGet("/politics/article-7", () => Results.Content($$"""
            <!doctype html><html><head><title>article</title></head><body><p id="status">opening</p><script>
            const socket = new WebSocket("wss://{{Chat}}/ws?deflate");
            let echoes = 0;
            socket.onopen = () => {
              socket.send(JSON.stringify({ event: "page", url: location.href, device: { aid: "{{AndroidId}}" } }));
              for (let i = 0; i < {{Ticks}}; i++) socket.send("tick " + i + " " + "x".repeat(200));
            };
            socket.onmessage = () => { if (++echoes === {{Ticks + 1}}) socket.close(1000, "done"); };
            socket.onclose = () => { document.getElementById("status").textContent = "closed"; };
            </script></body></html>
            """, "text/html")));
        File.WriteAllText(_work.File("origin-ca.pem"), _certificates.AuthorityPem);
        File.WriteAllText(_work.File("phone.yaml"), $"name: ws phone\nidentifiers:\n  android_id: {AndroidId}\n");
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _certificates.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task The_page_url_and_the_device_id_sent_over_a_websocket_are_findings_that_name_the_message()
    {
        var proxy = MiAuditProcess.Start(_work.Path,
        [
            "run", "--listen", "127.0.0.1:0", "--allow-loopback-upstream", "--map-host", $"*=127.0.0.1:{_origin.HttpsPort}",
            "--upstream-ca", _work.File("origin-ca.pem"), "--store", "all", "--certs-dir", _work.File("certs"),
            "--device-profile", _work.File("phone.yaml"),
        ]);
        await using (proxy)
        {
            var endPoint = await proxy.WaitForListeningAsync();
            await using (var chromium = await ChromiumBrowser.LaunchAsync(endPoint, _work.File("certs/miaudit-ca.pem")))
            {
                var page = await (await chromium.Browser.NewContextAsync()).NewPageAsync();
                await page.GotoAsync($"https://{News}{PagePath}");
                await page.WaitForSelectorAsync("#status:text('closed')");
            }

            Assert.Equal(0, await proxy.StopAsync());
        }

        using (var db = new SqliteConnection($"Data Source={_work.File("miaudit.db")};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            var socket = DbRows.Query(db, $"SELECT id, status, ws_client_messages, ws_server_messages FROM flows WHERE host = '{Chat}' AND path = '/ws'").Single();
            Assert.True(socket[1] is 101L or 200L, $"status {socket[1]}");
            Assert.Equal(Ticks + 2L, socket[2]); // the page message, the ticks, the close
            Assert.Equal(Ticks + 2L, socket[3]); // their echoes and the close
            var first = DbRows.Query(db, $"SELECT direction, opcode, data FROM websocket_messages WHERE flow_id = {socket[0]} ORDER BY idx LIMIT 1").Single();
            Assert.Equal("client", first[0]);
            Assert.Contains(AndroidId, System.Text.Encoding.UTF8.GetString((byte[])first[2]!)); // inflated: Chromium compressed it
            var findings = DbRows.Query(db, $"SELECT rule_id, value, leaf_path FROM findings WHERE flow_id = {socket[0]}").Select(r => $"{r[0]} {r[1]} {r[2]}").ToList();
            Assert.Contains($"device-identifier {AndroidId} ws[0].client → json.device.aid", findings);
            Assert.Contains($"visited-url-leak https://{News}{PagePath} ws[0].client → json.url", findings);
        }

        var export = await MiAuditProcess.RunAsync(_work.Path, "export", "--format", "har", "--out", _work.File("audit.har"));
        Assert.True(export.ExitCode == 0, export.StdErr);
        using var har = JsonDocument.Parse(File.ReadAllText(_work.File("audit.har")));
        var entry = har.RootElement.GetProperty("log").GetProperty("entries").EnumerateArray()
            .Single(e => e.GetProperty("request").GetProperty("url").GetString()!.Contains(Chat));
        var messages = entry.GetProperty("_webSocketMessages").EnumerateArray().ToList();
        Assert.Equal("send", messages[0].GetProperty("type").GetString());
        Assert.Contains(AndroidId, messages[0].GetProperty("data").GetString());
        Assert.Equal(2 * (Ticks + 2), messages.Count);
    }
}
