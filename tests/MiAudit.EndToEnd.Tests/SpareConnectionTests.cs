using Microsoft.Data.Sqlite;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// A real headless Chromium that trusts MiAudit loads a page with many same-host images over HTTP/2, twice. It opens
/// spare TLS connections and closes them unused; MiAudit must not take that for pinning and stop decrypting the host.
/// </summary>
public sealed class SpareConnectionTests : IAsyncLifetime
{
    private const int Images = 30;
    private const string ImageHost = "img.origin.test";

    private readonly TestCertificates _certificates = new();
    private readonly TemporaryDirectory _work = new("miaudit-spare");
    private TlsOrigin _origin = null!;

    public async Task InitializeAsync()
    {
        _origin = await TlsOrigin.StartAsync(_certificates.CreateServerCertificate(TlsOrigin.HostName, ImageHost));
        File.WriteAllText(_work.File("origin-ca.pem"), _certificates.AuthorityPem);
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _certificates.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task Every_request_of_two_loads_of_a_many_image_page_is_decrypted()
    {
        var proxy = MiAuditProcess.Start(_work.Path,
        [
            "run", "--listen", "127.0.0.1:0", "--allow-loopback-upstream", "--map-host", $"*=127.0.0.1:{_origin.HttpsPort}", // Chromium's own background requests stay on this machine too
            "--upstream-ca", _work.File("origin-ca.pem"), "--store", "all", "--certs-dir", _work.File("certs"),
        ]);
        await using (proxy)
        {
            var endPoint = await proxy.WaitForListeningAsync();
            await using (var chromium = await ChromiumBrowser.LaunchAsync(endPoint, _work.File("certs/miaudit-ca.pem")))
            {
                foreach (var load in new[] { "first", "second" })
                {
                    // A new context each time: a fresh connection pool meets the image host anew.
                    var page = await (await chromium.Browser.NewContextAsync()).NewPageAsync();
                    var images = Uri.EscapeDataString($"https://{ImageHost}:{_origin.HttpsPort}");
                    await page.GotoAsync($"{_origin.HttpsBase}/gallery?n={Images}&load={load}&images={images}");
                    await page.WaitForFunctionAsync($"Array.from(document.images).every(i => i.complete) && document.images.length === {Images}");
                    await Task.Delay(TimeSpan.FromSeconds(4)); // long enough for Chromium to drop its spare connections
                }
            }

            Assert.Equal(0, await proxy.StopAsync());
            Assert.False(proxy.Output.Contains("passing its TLS through"), proxy.Output);
        }

        using var db = new SqliteConnection($"Data Source={_work.File("miaudit.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        Assert.Equal("", Text(db, "SELECT group_concat(transport || ' ' || host || ' ' || COALESCE(error_kind, '') || ' ' || COALESCE(error_message, ''), char(10)) FROM flows WHERE transport = 'PassthroughTls' OR (host LIKE '%origin.test' AND (transport <> 'InterceptedTls' OR error_kind IS NOT NULL))"));
        Assert.Equal(2L * Images, Scalar(db, "SELECT COUNT(*) FROM flows WHERE path LIKE '/pixel/%' AND http_version = 'HTTP/2'"));
    }

    private static string Text(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() as string ?? "";
    }

    private static long Scalar(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
