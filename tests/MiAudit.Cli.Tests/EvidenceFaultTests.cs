using System.Net.Http.Headers;
using System.Text;
using Microsoft.Data.Sqlite;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>The real proxy keeps every answered request on the record whatever the traffic or the disk does.</summary>
public sealed class EvidenceFaultTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task Poison_requests_are_all_stored_and_what_sits_beside_the_poison_is_still_found()
    {
        var dir = env.PhoneDirectory("poison");
        var lone = $$"""{"aid":"{{CliEnvironment.AndroidId}}","x":"\ud800"}""";
        var requests = new List<Func<HttpRequestMessage>>
        {
            () => Post("/echo/p?n=1", lone, "application/json"),
            () => new HttpRequestMessage(HttpMethod.Get, env.Https(TlsOrigin.HostName, "/echo/p?n=2&d=" + Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes(lone))))),
            () => Post("/echo/p?n=3", "d=" + Uri.EscapeDataString(lone), "application/x-www-form-urlencoded"),
            () => Post("/echo/p?n=4&aid=" + CliEnvironment.AndroidId, "not brotli at all", "application/json", contentEncoding: "br"),
            () => Post("/echo/p?n=5", "--b\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\n" + lone + "\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        };

        await using (var proxy = await env.StartProxyAsync(dir, "--store", "all", "--device-profile", Path.Combine(dir, "phone.yaml")))
        {
            using var client = proxy.CreateClient();
            foreach (var request in requests)
            {
                using var message = request();
                (await client.SendAsync(message)).EnsureSuccessStatusCode();
            }

            Assert.Equal(0, await proxy.Process.StopAsync());
            Assert.Contains($"{requests.Count} flows seen", proxy.Process.Output);
        }

        Assert.Equal(requests.Count, Count(dir, "SELECT COUNT(*) FROM flows WHERE path = '/echo/p'"));
        Assert.Equal(requests.Count, Count(dir, $"SELECT COUNT(DISTINCT f.id) FROM flows f JOIN findings x ON x.flow_id = f.id WHERE x.value = '{CliEnvironment.AndroidId}'"));
    }

    [Fact]
    public async Task Deleting_the_database_while_the_proxy_runs_is_noticed_and_later_flows_are_kept_at_the_path()
    {
        var dir = env.PhoneDirectory("deleted");
        await using var proxy = await env.StartProxyAsync(dir, "--device-profile", Path.Combine(dir, "phone.yaml"));
        using var client = proxy.CreateClient();
        (await client.GetAsync(env.Https(TlsOrigin.HostName, $"/echo/before?aid={CliEnvironment.AndroidId}"))).EnsureSuccessStatusCode();
        await EventuallyAsync(() => File.Exists(proxy.Database) && Count(dir, "SELECT COUNT(*) FROM flows") == 1);

        foreach (var file in new[] { "", "-wal", "-shm" })
        {
            File.Delete(proxy.Database + file);
        }

        await EventuallyAsync(() => proxy.Process.Output.Contains("was deleted or replaced"));
        Assert.True(File.Exists(proxy.Database), $"no database was recreated at the path:\n{proxy.Process.Output}");
        for (var i = 0; i < 20; i++)
        {
            (await client.GetAsync(env.Https(TlsOrigin.HostName, $"/echo/after?n={i}&aid={CliEnvironment.AndroidId}"))).EnsureSuccessStatusCode();
        }

        Assert.Equal(0, await proxy.Process.StopAsync());
        var output = proxy.Process.Output;
        Assert.True(Count(dir, "SELECT COUNT(*) FROM flows WHERE path = '/echo/after'") == 20, output);
        Assert.True(Count(dir, "SELECT COUNT(*) FROM sessions WHERE ended_at IS NOT NULL") == 1, output);
        Assert.True(output.Contains("21 written"), output);
    }

    private HttpRequestMessage Post(string pathAndQuery, string body, string contentType, string? contentEncoding = null)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (contentEncoding is not null)
        {
            content.Headers.ContentEncoding.Add(contentEncoding);
        }

        return new HttpRequestMessage(HttpMethod.Post, env.Https(TlsOrigin.HostName, pathAndQuery)) { Content = content };
    }

    private static long Count(string dir, string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(dir, "miaudit.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Polls a condition (the bound only ends a hung test; nothing is asserted about time).</summary>
    private static async Task EventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }
    }
}
