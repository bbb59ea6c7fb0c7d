using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MiAudit.Flows;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Connect;

/// <summary>What happens inside a CONNECT tunnel that is not intercepted HTTPS: plain HTTP, opaque TCP, pass-through TLS.</summary>
public class TunnelTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    [Fact]
    public async Task Plain_http_inside_a_tunnel_is_served_as_http()
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        Assert.StartsWith("HTTP/1.1 200", await connection.ConnectAsync($"{TlsOrigin.HostName}:{env.Origin.HttpPort}"));

        await connection.SendAsync($"GET /echo/in-tunnel HTTP/1.1\r\nHost: {TlsOrigin.HostName}\r\nConnection: close\r\n\r\n");
        var response = Encoding.UTF8.GetString(await connection.ReadToEndAsync());

        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains("\"rawTarget\":\"/echo/in-tunnel\"", response);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/in-tunnel");
        Assert.Equal(FlowTransport.TunnelHttp, flow.Transport);
    }

    [Fact]
    public async Task H2c_with_prior_knowledge_inside_a_tunnel_is_served_as_http2_and_recorded()
    {
        // curl tunnels through CONNECT and opens with the HTTP/2 preface; the origin speaks only h2c, as a gRPC
        // server without TLS does. Before, the tunnel was relayed as opaque TCP, with no HTTP record.
        var (exitCode, stdout, stderr) = await Curl.RunAsync("-sS", "--max-time", "20", "--http2-prior-knowledge", "--proxytunnel",
            "--proxy", env.Proxy.ProxyUri.ToString(), "-H", "X-Probe: h2c", $"http://{TlsOrigin.HostName}:{env.Origin.H2cPort}/echo/h2c?x=1");

        Assert.True(exitCode == 0, stderr);
        var echo = System.Text.Json.JsonSerializer.Deserialize<EchoResponse>(stdout, EchoResponse.Json)!;
        Assert.Equal("HTTP/2", echo.Protocol);
        Assert.Equal("h2c", echo.Header("x-probe"));
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Path == "/echo/h2c");
        Assert.Equal(FlowTransport.TunnelHttp, flow.Transport);
        Assert.Equal("HTTP/2", flow.HttpVersion);
        Assert.Equal("?x=1", flow.Query);
        Assert.Contains(flow.RequestHeaders, h => h.Name == "x-probe" && h.Value == "h2c");
    }

    [Fact]
    public async Task Opaque_bytes_are_relayed_with_half_close_in_both_directions()
    {
        using var server = new TcpTestServer(TcpTestServer.CountUntilEndThenAnswer);
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        Assert.StartsWith("HTTP/1.1 200", await connection.ConnectAsync($"127.0.0.1:{server.Port}"));

        var payload = Encoding.ASCII.GetBytes("SSH-2.0-not-http-not-tls " + new string('x', 100_000));
        await connection.Stream.WriteAsync(payload);
        // Half-close: the server only answers after it sees our end of stream, and we must still receive the answer.
        connection.Socket.Shutdown(SocketShutdown.Send);
        var answer = Encoding.ASCII.GetString(await connection.ReadToEndAsync());

        Assert.Equal($"got {payload.Length} bytes", answer);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Transport == FlowTransport.OpaqueTcp && f.Port == server.Port);
        Assert.Equal(payload.Length, flow.RequestBody.WireLength);
        Assert.Equal(answer.Length, flow.ResponseBody.WireLength);
    }

    [Fact]
    public async Task Server_speaks_first_protocols_are_relayed_when_the_client_stays_silent()
    {
        using var server = new TcpTestServer(async socket =>
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes("220 banner\r\n"));
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[16];
            while (await socket.ReceiveAsync(buffer) > 0)
            {
            }
        });
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        Assert.StartsWith("HTTP/1.1 200", await connection.ConnectAsync($"127.0.0.1:{server.Port}"));

        var banner = new byte[12];
        await connection.Stream.ReadExactlyAsync(banner);
        Assert.Equal("220 banner\r\n", Encoding.ASCII.GetString(banner));
    }

    [Fact]
    public async Task A_clean_close_after_a_completed_handshake_is_never_a_refusal()
    {
        // .NET's client judges the certificate after the handshake and closes without an alert: to the proxy that is
        // exactly a browser's spare connection, which must not switch interception off.
        var refuseMiAudit = new RemoteCertificateValidationCallback((_, _, _, _) => false);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            Assert.Null(await HandshakeThroughProxyAsync("silent.origin.test", refuseMiAudit));
        }

        var seen = await HandshakeThroughProxyAsync("silent.origin.test", (_, _, _, _) => true);
        Assert.NotEqual(env.OriginCertificates.Authority.Subject, seen!.Issuer); // still MiAudit's certificate: intercepted
    }

    [Fact]
    public async Task Passthrough_hosts_show_the_client_the_origins_own_certificate()
    {
        var seen = await HandshakeThroughProxyAsync("pass.origin.test", InProcessProxy.TrustsOnly(env.OriginCertificates.Authority));

        Assert.NotNull(seen);
        Assert.Equal(env.OriginCertificates.Authority.Subject, seen!.Issuer);
        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Host == "pass.origin.test");
        Assert.Equal(FlowTransport.PassthroughTls, flow.Transport);
        Assert.True(flow.RequestBody.WireLength > 0);
    }

    [Fact]
    public async Task A_host_whose_client_keeps_refusing_our_certificate_is_passed_through_for_that_client()
    {
        const string host = "pinned.origin.test";
        // curl without MiAudit's CA refuses the certificate with a TLS alert, as a pinning app does.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (exitCode, _, _) = await Curl.RunAsync("-sS", "--proxy", env.Proxy.ProxyUri.ToString(), $"https://{host}:{env.Origin.HttpsPort}/echo");
            Assert.Equal(60, exitCode);
        }

        // The proxy notices the third refusal just after the client gives up, learns the host, then logs it.
        var refused = await env.Proxy.Flows.WaitForAsync(f => f.Host == host && f.Error?.Kind == "client-tls-handshake");
        Assert.Equal(FlowTransport.InterceptedTls, refused.Transport);
        Assert.Equal(host, refused.ClientTls!.ServerName);
        var curlFingerprint = refused.ClientTls.Fingerprint!;
        Assert.Matches("^t1[23]d", curlFingerprint);
        bool Logged() => env.Proxy.Logs.Entries.Any(e => e.Message.Contains(host) && e.Message.Contains("passing its TLS through"));
        bool Learned() => env.Proxy.Server.Passthrough.PassThroughReason(host, "127.0.0.1", curlFingerprint) is not null;
        for (var wait = 0; wait < 200 && !(Learned() && Logged()); wait++)
        {
            await Task.Delay(50);
        }

        Assert.True(Learned(), "the host was not learned for this client");
        Assert.Null(env.Proxy.Server.Passthrough.PassThroughReason(host, "127.0.0.2", curlFingerprint)); // nor for another address
        Assert.True(Logged(), "learning the host was not logged");

        // The same curl now reaches the origin itself (it trusts the origin's CA); the pass-through flow names the hello.
        var originCa = Path.Combine(Path.GetTempPath(), $"miaudit-origin-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(originCa, env.OriginCertificates.PublicAuthority.ExportCertificatePem());
        try
        {
            var through = await Curl.RunAsync("-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", originCa, "--proxy", env.Proxy.ProxyUri.ToString(),
                $"https://{host}:{env.Origin.HttpsPort}/echo");
            Assert.Equal("200", through.StdOut);
        }
        finally
        {
            File.Delete(originCa);
        }

        var relayed = await env.Proxy.Flows.WaitForAsync(f => f.Host == host && f.Transport == FlowTransport.PassthroughTls);
        Assert.Equal(host, relayed.ClientTls!.ServerName);
        Assert.Equal(curlFingerprint, relayed.ClientTls.Fingerprint);

        // Another TLS client at the same address (another app on the phone) is still intercepted.
        var seen = await HandshakeThroughProxyAsync(host, InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate));
        Assert.Equal(env.Proxy.Authority.Certificate.Subject, seen!.Issuer);
    }

    /// <summary>CONNECT + TLS handshake; the certificate the client saw, or null when the client rejected it.</summary>
    private async Task<X509Certificate2?> HandshakeThroughProxyAsync(string host, RemoteCertificateValidationCallback validate)
    {
        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        Assert.StartsWith("HTTP/1.1 200", await connection.ConnectAsync($"{host}:{env.Origin.HttpsPort}"));
        X509Certificate2? seen = null;
        await using var tls = new SslStream(connection.Stream, leaveInnerStreamOpen: true, (sender, certificate, chain, errors) =>
        {
            seen = certificate is null ? null : new X509Certificate2(certificate);
            return validate(sender, certificate, chain, errors);
        });
        try
        {
            await tls.AuthenticateAsClientAsync(host);
        }
        catch (System.Security.Authentication.AuthenticationException)
        {
            return null;
        }

        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /echo HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
        var reader = new StreamReader(tls);
        Assert.StartsWith("HTTP/1.1 200", await reader.ReadLineAsync());
        return seen;
    }
}
