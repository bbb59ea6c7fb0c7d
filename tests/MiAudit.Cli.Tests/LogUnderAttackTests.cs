using System.Security.Cryptography;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>Hostile connections leave a useful log: one line per client address per window, no stack traces, nothing Fatal.</summary>
public sealed class LogUnderAttackTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task Hundreds_of_garbage_tls_tunnels_and_connect_heads_log_a_few_lines_without_traces()
    {
        var dir = env.WorkDirectory.File("log-attack");
        await using var proxy = await env.StartProxyAsync(dir, "--log-dir", Path.Combine(dir, "logs"));
        for (var i = 0; i < 400; i++)
        {
            using var connection = await RawProxyConnection.OpenAsync(proxy.EndPoint);
            if (i % 2 == 0)
            {
                await connection.SendAsync($"CONNECT {TlsOrigin.HostName}:{env.Origin.HttpsPort} HTTP/1.1\r\nHost: x\r\n\r\n");
                await connection.ReadHeadAsync();
                await connection.Stream.WriteAsync((byte[])[0x16, 0x03, 0x01, 0x00, 0x30, .. RandomNumberGenerator.GetBytes(48)]);
            }
            else
            {
                await connection.SendAsync("CONNECT bad host:443 HTTP/1.1\r\n\r\n");
            }

            try
            {
                await connection.Stream.ReadAsync(new byte[256]).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                // refused either way
            }
        }

        Assert.Equal(0, await proxy.Process.StopAsync());
        var console = proxy.Process.Output;
        var file = string.Join('\n', Directory.GetFiles(Path.Combine(dir, "logs")).Select(File.ReadAllText));
        Assert.DoesNotContain("   at ", console);
        Assert.DoesNotContain("\"@x\"", file); // no exception recorded in the log file
        Assert.DoesNotContain("FTL", console);
        Assert.True(console.Split('\n').Length < 40, console);
    }
}
