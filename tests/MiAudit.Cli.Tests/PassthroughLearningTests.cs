using Microsoft.Data.Sqlite;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// A real refusal (curl, which does not trust MiAudit's CA, answers the certificate with an unknown_ca alert) is
/// learned for that client and host only, what is then relayed is stored as not decrypted, and the report says so.
/// </summary>
public sealed class PassthroughLearningTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Fact]
    public async Task Three_refusals_pass_the_host_through_for_that_client_only_and_the_record_says_what_was_not_decrypted()
    {
        var dir = env.WorkDirectory.File("refusals");
        var url = env.Https(TlsOrigin.HostName, "/echo/pinned");
        await using var proxy = await env.StartProxyAsync(dir, "--store", "all", "--session-label", "pinning app");
        var viaProxy = new[] { "-s", "-o", "/dev/null", "-w", "%{http_code}", "-x", $"http://{proxy.EndPoint}", "--cacert", env.OriginCaFile };

        for (var i = 0; i < 3; i++)
        {
            var refused = await Curl.RunAsync([.. viaProxy, url]); // trusts only the origin's CA: refuses MiAudit's certificate
            Assert.NotEqual(0, refused.ExitCode);
        }

        // MiAudit reads the third alert after curl has exited: the next connection is passed through once it has.
        await proxy.Process.WaitForOutputAsync("passing its TLS through");

        // Passed through now: curl talks to the origin itself, whose certificate it trusts.
        var through = await Curl.RunAsync([.. viaProxy, url]);
        Assert.True(through.StdOut == "200", $"curl: {through.ExitCode} {through.StdOut} {through.StdErr}\n{proxy.Process.Output}");

        // Another client address is still intercepted: with MiAudit's CA it gets through, decrypted.
        var other = await Curl.RunAsync("-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.0.2", "-x", $"http://{proxy.EndPoint}",
            "--cacert", Path.Combine(proxy.CertsDirectory, "miaudit-ca.pem"), env.Https(TlsOrigin.HostName, "/echo/other-client"));
        Assert.Equal("200", other.StdOut);

        // Another TLS client on the same phone (curl offering only http/1.1 has another JA4, as a browser beside a
        // pinning SDK does) is still intercepted too.
        var otherApp = await Curl.RunAsync("-s", "-o", "/dev/null", "-w", "%{http_code}", "--http1.1", "-x", $"http://{proxy.EndPoint}",
            "--cacert", Path.Combine(proxy.CertsDirectory, "miaudit-ca.pem"), env.Https(TlsOrigin.HostName, "/echo/other-app"));
        Assert.Equal("200", otherApp.StdOut);

        Assert.Equal(0, await proxy.Process.StopAsync());
        Assert.True(proxy.Process.Output.Contains("not decrypted: learned: 127.0.0.1 refused"), proxy.Process.Output);

        using (var db = new SqliteConnection($"Data Source={proxy.Database};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            // curl sends unknown_ca and closes; which of the two MiAudit reads first is a race, so not every row names it.
            Assert.Equal(3L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE error_kind = 'client-tls-handshake' AND client_address = '127.0.0.1'"));
            Assert.Equal(1L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE transport = 'PassthroughTls' AND error_kind = 'not-decrypted' AND client_address = '127.0.0.1' AND request_body_size > 0"));
            Assert.Equal(1L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE transport = 'InterceptedTls' AND client_address = '127.0.0.2' AND path = '/echo/other-client'"));
            Assert.Equal(1L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE transport = 'InterceptedTls' AND client_address = '127.0.0.1' AND path = '/echo/other-app'"));
            // The pass-through row names what the hello asked for and which client sent it: the refusing curl.
            Assert.Equal(1L, Scalar(db, $"SELECT COUNT(*) FROM flows WHERE transport = 'PassthroughTls' AND tls_server_name = '{TlsOrigin.HostName}' AND tls_fingerprint IN (SELECT tls_fingerprint FROM flows WHERE error_kind = 'client-tls-handshake')"));
            Assert.Equal(0L, Scalar(db, "SELECT COUNT(*) FROM flows WHERE path = '/echo/other-app' AND tls_fingerprint IN (SELECT tls_fingerprint FROM flows WHERE error_kind = 'client-tls-handshake')"));
        }

        var report = Path.Combine(dir, "report.md");
        var (exitCode, _, stderr) = await MiAuditProcess.RunAsync(dir, "report", "--format", "md", "--out", report);
        Assert.True(exitCode == 0, stderr);
        var markdown = File.ReadAllText(report);
        var section = markdown[markdown.IndexOf("## Not decrypted", StringComparison.Ordinal)..];
        Assert.Contains(TlsOrigin.HostName, section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)]);
        Assert.Contains("learned: 127.0.0.1 refused MiAudit's certificate 3 times", section);
    }

    private static long Scalar(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
