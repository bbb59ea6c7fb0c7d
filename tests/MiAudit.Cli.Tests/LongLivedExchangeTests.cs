using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Data.Sqlite;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// Exchanges that last (a WebSocket, a long poll) are on disk and in <c>miaudit findings</c> while they last, and the
/// finished flow replaces the snapshot: one row per exchange in the end.
/// </summary>
public class LongLivedExchangeTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    private const string AndroidId = "3f8a6b2c1d4e5f60";

    [Fact]
    public async Task A_websocket_and_a_long_poll_are_stored_while_they_run_and_completed_when_they_end()
    {
        var dir = env.WorkDirectory.File("long-lived");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "phone.yaml"), $"identifiers:\n  android_id: {AndroidId}\n");
        await using var proxy = await env.StartProxyAsync(dir, "--store", "all", "--device-profile", Path.Combine(dir, "phone.yaml"));

        using var socket = new ClientWebSocket();
        socket.Options.Proxy = new WebProxy($"http://{proxy.EndPoint}");
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(proxy.CertsDirectory, "miaudit-ca.pem"));
        socket.Options.RemoteCertificateValidationCallback = InProcessProxy.TrustsOnly(ca);
        await socket.ConnectAsync(new Uri(env.Https(CliEnvironment.TrackerHost, "/ws?sink").Replace("https:", "wss:")), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"device\":{{\"aid\":\"{AndroidId}\"}}}}"), WebSocketMessageType.Text, true, CancellationToken.None);

        using var client = proxy.CreateClient();
        using var cancelPoll = new CancellationTokenSource();
        var poll = client.GetAsync(env.Https(CliEnvironment.NewsHost, "/slow?ms=120000"), cancelPoll.Token);

        // Both still open: each already has its row (a snapshot), the socket's with the finding in its first message.
        await WaitForAsync(proxy.Database, "SELECT COUNT(*) FROM flows WHERE in_progress = 1 AND path = '/ws' AND ws_client_messages = 1");
        await WaitForAsync(proxy.Database, "SELECT COUNT(*) FROM flows WHERE in_progress = 1 AND path = '/slow'");
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.False(poll.IsCompleted);
        var findings = await MiAuditProcess.RunAsync(dir, "findings");
        Assert.True(findings.ExitCode == 0, findings.StdErr);
        Assert.Contains("ws[0].client", findings.StdOut);

        await socket.SendAsync(Encoding.UTF8.GetBytes("second"), WebSocketMessageType.Text, true, CancellationToken.None);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await cancelPoll.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll);
        var exit = await proxy.Process.StopAsync();
        Assert.True(exit == 0, $"exit {exit}: {proxy.Process.Output}");

        using var db = Open(proxy.Database);
        Assert.Equal(0L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE in_progress = 1"));
        Assert.Equal(1L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE path = '/ws'"));
        Assert.Equal(1L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE path = '/slow'"));
        Assert.Equal(3L, Scalar(db, "SELECT ws_client_messages FROM flows WHERE path = '/ws'")); // both messages and the close
        Assert.Equal(3L, Scalar(db, "SELECT COUNT(*) FROM websocket_messages m JOIN flows f ON f.id = m.flow_id WHERE f.path = '/ws' AND m.direction = 'client'"));
        Assert.Equal(1L, Scalar(db, $"SELECT COUNT(*) FROM findings g JOIN flows f ON f.id = g.flow_id WHERE f.path = '/ws' AND g.value = '{AndroidId}'"));
    }

    private static async Task WaitForAsync(string database, string countQuery)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (File.Exists(database))
            {
                using var db = Open(database);
                if (Scalar(db, countQuery) > 0)
                {
                    return;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"never true: {countQuery}");
            await Task.Delay(200);
        }
    }

    private static SqliteConnection Open(string database)
    {
        var db = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        db.Open();
        return db;
    }

    private static long Scalar(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L);
    }
}
