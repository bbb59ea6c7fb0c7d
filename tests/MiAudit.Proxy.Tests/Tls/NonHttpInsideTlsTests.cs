using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using MiAudit.Flows;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Tls;

/// <summary>
/// A protocol that is not HTTP inside TLS (an MQTT-style exchange with ALPN <c>mqtt</c>, or a vendor's binary protocol
/// with no ALPN) works through MiAudit as it does direct, and what passed each way is on the record, decrypted.
/// </summary>
public class NonHttpInsideTlsTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    private const string Host = "mqtt.origin.test";

    [Theory]
    [InlineData("mqtt")]
    [InlineData(null)]
    public async Task Non_http_bytes_inside_intercepted_tls_reach_the_server_and_are_recorded(string? alpn)
    {
        using var certificate = env.OriginCertificates.CreateServerCertificate(Host);
        await using var server = await EchoServer.StartAsync(certificate, alpn);
        var message = Encoding.ASCII.GetBytes($"\x10\x1f\x00\x04MQTT client-id=imei-{alpn}");

        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        Assert.StartsWith("HTTP/1.1 200", await connection.ConnectAsync($"{Host}:{server.Port}"));
        await using var tls = new SslStream(connection.Stream, leaveInnerStreamOpen: true, InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = Host,
            ApplicationProtocols = alpn is null ? null : [new SslApplicationProtocol(alpn)],
        });
        Assert.Equal(alpn ?? "", tls.NegotiatedApplicationProtocol.ToString()); // was an alert (no_application_protocol) for mqtt

        await tls.WriteAsync(message);
        var reply = new byte[message.Length + 4];
        await tls.ReadExactlyAsync(reply);
        Assert.Equal([.. "ACK:"u8, .. message], reply);
        await tls.ShutdownAsync();
        Assert.Equal(0, await tls.ReadAsync(new byte[1])); // the server's close came through

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Transport == FlowTransport.DecryptedOpaque && f.Port == server.Port);
        Assert.Equal(message, flow.RequestBody.Bytes.ToArray());
        Assert.Equal(reply, flow.ResponseBody.Bytes.ToArray());
        Assert.Equal(alpn ?? "", flow.ClientTls!.ApplicationProtocol);
        Assert.Equal(Host, flow.ClientTls.ServerName);
        Assert.Null(flow.Error);
        Assert.Equal(alpn ?? "", server.NegotiatedProtocols.Single()); // the server was offered what the client offered
    }

    [Fact]
    public async Task A_server_that_speaks_first_inside_intercepted_tls_is_heard_and_recorded()
    {
        // IMAP over TLS: no ALPN, the server greets first, the client waits for the greeting. Before, MiAudit waited
        // up to 130 s for a request that never came, and the client hung.
        using var certificate = env.OriginCertificates.CreateServerCertificate("imap.origin.test");
        await using var server = await EchoServer.StartAsync(certificate, null, async tls =>
        {
            await tls.WriteAsync("* OK IMAP4rev1 ready\r\n"u8.ToArray());
            var buffer = new byte[256];
            var read = await tls.ReadAsync(buffer);
            await tls.WriteAsync((byte[])[.. "a1 OK "u8, .. buffer.AsSpan(0, read)]);
        });

        using var connection = await RawProxyConnection.OpenAsync(env.ProxyEndPoint);
        Assert.StartsWith("HTTP/1.1 200", await connection.ConnectAsync($"imap.origin.test:{server.Port}"));
        await using var tls = new SslStream(connection.Stream, leaveInnerStreamOpen: true, InProcessProxy.TrustsOnly(env.Proxy.Authority.Certificate));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "imap.origin.test" });
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a hang bound, well under the old 130 s
        var greeting = new byte[22];
        await tls.ReadExactlyAsync(greeting, hang.Token);
        Assert.Equal("* OK IMAP4rev1 ready\r\n", Encoding.ASCII.GetString(greeting));

        var command = "a1 LOGIN imei-356938035643809\r\n"u8.ToArray();
        await tls.WriteAsync(command, hang.Token);
        var reply = new byte[command.Length + 6];
        await tls.ReadExactlyAsync(reply, hang.Token);
        await tls.ShutdownAsync();

        var flow = await env.Proxy.Flows.WaitForAsync(f => f.Transport == FlowTransport.DecryptedOpaque && f.Port == server.Port);
        Assert.Equal(command, flow.RequestBody.Bytes.ToArray());
        Assert.Equal([.. greeting, .. reply], flow.ResponseBody.Bytes.ToArray());
        Assert.Equal("imap.origin.test", flow.ClientTls!.ServerName);
    }

    /// <summary>
    /// A TLS server that answers each connection's bytes with "ACK:" and those bytes (or holds the conversation it is
    /// given), then closes.
    /// </summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _accepting;
        private readonly Func<SslStream, Task>? _conversation;

        private EchoServer(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string? alpn, Func<SslStream, Task>? conversation)
        {
            _conversation = conversation;
            _listener.Start();
            _accepting = AcceptAsync(certificate, alpn);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>The protocol each connection agreed on, probes included.</summary>
        public List<string> NegotiatedProtocols { get; } = [];

        public static Task<EchoServer> StartAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string? alpn,
            Func<SslStream, Task>? conversation = null) =>
            Task.FromResult(new EchoServer(certificate, alpn, conversation));

        private async Task AcceptAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string? alpn)
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = ServeAsync(client, certificate, alpn);
            }
        }

        private async Task ServeAsync(TcpClient client, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string? alpn)
        {
            using (client)
            {
                try
                {
                    await using var tls = new SslStream(client.GetStream());
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        ApplicationProtocols = alpn is null ? null : [new SslApplicationProtocol(alpn)],
                    });
                    var buffer = new byte[4096];
                    if (_conversation is not null)
                    {
                        await _conversation(tls);
                        await tls.ShutdownAsync();
                        while (await tls.ReadAsync(buffer) > 0)
                        {
                        }

                        return;
                    }

                    var read = await tls.ReadAsync(buffer);
                    if (read == 0)
                    {
                        return; // MiAudit asking which protocol the server speaks
                    }

                    lock (NegotiatedProtocols)
                    {
                        NegotiatedProtocols.Add(tls.NegotiatedApplicationProtocol.ToString());
                    }

                    await tls.WriteAsync((byte[])[.. "ACK:"u8, .. buffer.AsSpan(0, read)]);
                    await tls.ShutdownAsync();
                    while (await tls.ReadAsync(buffer) > 0)
                    {
                    }
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _accepting;
        }
    }
}
