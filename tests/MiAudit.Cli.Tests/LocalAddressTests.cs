using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// "Not this machine" means every address of every interface, as they are when the connection is made. Run inside a
/// network namespace the test creates (its own loopback with documentation-range addresses, no route out), with a
/// web server on every address and the real miaudit listening on 127.0.0.1 only.
/// </summary>
public sealed class LocalAddressTests : IDisposable
{
    private const int ServerPort = 18080;
    private const int ProxyPort = 18081;

    private readonly TemporaryDirectory _dir = new("miaudit-netns");
    private readonly NetworkNamespace _space = NetworkNamespace.Create("miaudit-local");

    public void Dispose()
    {
        _space.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Addresses_of_this_machine_other_than_the_listen_address_are_refused_including_ones_added_after_start()
    {
        _space.AddAddress("192.0.2.10/32");
        var serverLog = _dir.File("server.log");
        _space.Start(serverLog, "python3", "-u", "-m", "http.server", ServerPort.ToString(), "--bind", "0.0.0.0", "--directory", _dir.Path);
        await EventuallyAsync(() => _space.Run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://192.0.2.10:{ServerPort}/ready") == "404");
        Assert.Contains("/ready", File.ReadAllText(serverLog)); // the server answers on that address when asked directly

        await using var proxy = MiAuditProcess.Start(_dir.Path, ["run", "--listen", $"127.0.0.1:{ProxyPort}"], launcher: _space.Exec);
        await proxy.WaitForListeningAsync();
        _space.AddAddress("192.0.2.11/32"); // after start

        foreach (var address in new[] { "192.0.2.10", "192.0.2.11" })
        {
            var plain = Through(proxy, $"http://{address}:{ServerPort}/through-get");
            var tunnel = Through(proxy, $"https://{address}:{ServerPort}/through-connect");
            Assert.NotEqual("200", plain);
            Assert.NotEqual("200", tunnel);
        }

        var log = File.ReadAllText(serverLog);
        Assert.DoesNotContain("/through", log);
        await EventuallyAsync(() => proxy.Output.Contains("192.0.2.11 is an address of this machine"));
        Assert.True(proxy.Output.Contains("192.0.2.11 is an address of this machine"), proxy.Output);
    }

    private string Through(MiAuditProcess proxy, string url) =>
        _space.Run("curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-x", $"http://127.0.0.1:{ProxyPort}", url);

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100);
        }
    }
}
