using System.Net;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>Thousands of host names leave a bounded number of upstream sockets in the real proxy process.</summary>
public sealed class UpstreamConnectionTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task Two_thousand_host_names_leave_far_fewer_than_a_thousand_descriptors_and_every_request_is_answered()
    {
        var dir = env.WorkDirectory.File("many-hosts");
        await using var proxy = await env.StartProxyAsync(dir, "--no-detect", "--map-host", "*.many.test=127.0.0.1");
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://{proxy.EndPoint}"), MaxConnectionsPerServer = 20 });
        var failures = 0;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            for (var n = Interlocked.Increment(ref next); n < 2000; n = Interlocked.Increment(ref next))
            {
                using var response = await client.GetAsync($"http://h{n}.many.test:{env.Origin.HttpPort}/echo/host");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));

        var descriptors = Directory.GetFiles($"/proc/{proxy.Process.Pid}/fd").Length;
        Assert.Equal(0, failures);
        Assert.True(descriptors < 600, $"{descriptors} open descriptors after 2,000 host names");
    }
}
