using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MiAudit.Testing;

/// <summary>
/// A real HTTPS (HTTP/1.1 + HTTP/2) and HTTP origin on loopback, certified by a <see cref="TestCertificates"/> CA.
/// Endpoints:
/// <c>/echo</c> tells what arrived (method, raw target, protocol, headers, body length and hash);
/// <c>/bytes?n=N</c> streams N bytes; <c>/upload</c> consumes a body and reports length and hash;
/// <c>/ws</c> echoes WebSocket messages; <c>/status/{code}</c>; <c>/slow?ms=N</c>; <c>/html/{name}</c> serves a page;
/// <c>/head-first?key=K</c> sends its head at once and its body on <see cref="Release"/>; <c>/miaudit.Test/Denied</c>
/// answers as a gRPC server refusing a call does.
/// </summary>
public sealed class TlsOrigin : IAsyncDisposable
{
    public const string HostName = "origin.test";

    private readonly WebApplication _app;

    private TlsOrigin(WebApplication app) => _app = app;

    private int _slowRequestsWaiting;

    public int HttpsPort { get; private set; }

    /// <summary><c>/slow</c> requests that have arrived and not yet been answered: proof an exchange is in flight.</summary>
    public int SlowRequestsWaiting => Volatile.Read(ref _slowRequestsWaiting);

    public int HttpPort { get; private set; }

    /// <summary>Cleartext HTTP/2 with prior knowledge only.</summary>
    public int H2cPort { get; private set; }

    /// <summary>The HTTPS listener that speaks HTTP/1.1 only.</summary>
    public int Https11Port { get; private set; }

    public string HttpsBase => $"https://{HostName}:{HttpsPort}";

    public string HttpBase => $"http://{HostName}:{HttpPort}";

    public static async Task<TlsOrigin> StartAsync(X509Certificate2 certificate, Action<WebApplication>? extraRoutes = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxRequestLineSize = 64 * 1024; // the long URLs real sites send
            kestrel.Limits.Http2.MaxRequestHeaderFieldSize = 64 * 1024;
            kestrel.AddServerHeader = false;
            // Header bytes as they are, as nginx takes them: /echo reports them one char per byte.
            kestrel.RequestHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
            kestrel.ResponseHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
            // An HTTPS origin that speaks HTTP/1.1 only, as many servers still do: ALPN offers it no h2.
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(certificate);
            });
            // Cleartext HTTP/2 only (h2c with prior knowledge), as gRPC servers without TLS run.
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });

        var app = builder.Build();
        var origin = new TlsOrigin(app);
        app.UseWebSockets();
        origin.MapRoutes(app);
        extraRoutes?.Invoke(app);
        await app.StartAsync();

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        foreach (var address in addresses)
        {
            var uri = new Uri(address);
            if (uri.Scheme == "https" && origin.HttpsPort == 0)
            {
                origin.HttpsPort = uri.Port;
            }
            else if (uri.Scheme == "https")
            {
                origin.Https11Port = uri.Port;
            }
            else if (origin.HttpPort == 0)
            {
                origin.HttpPort = uri.Port;
            }
            else
            {
                origin.H2cPort = uri.Port;
            }
        }

        return origin;
    }

    private void MapRoutes(WebApplication app)
    {
        app.Map("/echo/{**rest}", Echo);
        app.Map("/echo", Echo);

        static async Task Echo(HttpContext context)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var length = await Drain(context.Request.Body, hash);
            await context.Response.WriteAsJsonAsync(new EchoResponse(
                context.Request.Method,
                context.Features.Get<IHttpRequestFeature>()!.RawTarget,
                context.Request.Protocol,
                context.Request.Headers.SelectMany(h => h.Value.Select(v => new[] { h.Key, v ?? "" })).ToArray(),
                length,
                Convert.ToHexStringLower(hash.GetHashAndReset())));
        }

        app.MapPost("/upload", async context =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var length = await Drain(context.Request.Body, hash);
            await context.Response.WriteAsJsonAsync(new { length, sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()) });
        });

        app.MapGet("/bytes", async context =>
        {
            var total = long.Parse(context.Request.Query["n"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = total;
            var chunk = Pattern(251 * 256); // a whole number of pattern periods, so chunks join seamlessly
            for (long sent = 0; sent < total;)
            {
                var count = (int)Math.Min(chunk.Length, total - sent);
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, count));
                sent += count;
            }
        });

        // A response header whose value is UTF-8 bytes (?value=, as one char per byte).
        app.MapGet("/non-ascii", (HttpContext context, string value) =>
        {
            context.Response.Headers["X-Name"] = System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(value));
            return "ok";
        });

        app.Map("/status/{code:int}", (int code) => Results.Text($"status {code}", statusCode: code));

        app.MapGet("/slow", async context =>
        {
            Interlocked.Increment(ref _slowRequestsWaiting);
            try
            {
                await Task.Delay(int.Parse(context.Request.Query["ms"].ToString(), System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
                await context.Response.WriteAsync("slow done");
            }
            finally
            {
                Interlocked.Decrement(ref _slowRequestsWaiting);
            }
        });

        // A page with many images from one host (?images=https://host:port, else this one): a browser that meets that
        // host for the first time opens several connections at once, keeps one HTTP/2 session and drops the others.
        app.MapGet("/gallery", (int n, string? load, string? images) => Results.Content(
            "<!doctype html><html><head><title>gallery</title></head><body>"
            + string.Concat(Enumerable.Range(0, n).Select(i => $"<img src=\"{images}/pixel/{i}?load={load}\" width=\"1\" height=\"1\">"))
            + "</body></html>", "text/html"));
        app.MapGet("/pixel/{i:int}", () => Results.Bytes(Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="), "image/gif"));

        app.MapGet("/html/{name}", (string name) =>
            Results.Content($"<!doctype html><html><head><title>{name}</title></head><body><h1 id=\"title\">{name}</h1></body></html>", "text/html"));

        // A gRPC-style answer: body, then the status in trailers (HTTP/2 only; Kestrel sends no HTTP/1.1 trailers).
        app.MapPost("/trailers", async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.DeclareTrailer("grpc-status");
            await context.Response.WriteAsync("answer");
            context.Response.AppendTrailer("grpc-status", "7");
            context.Response.AppendTrailer("grpc-message", "denied");
        });

        // The head now, the body once the test releases it (?key=K): whether the head reached the client before any
        // body byte is then a question of order, not of time.
        app.MapGet("/head-first", async context =>
        {
            context.Response.Headers["X-Head"] = "sent";
            await context.Response.Body.FlushAsync();
            await Gate(context.Request.Query["key"].ToString()).WaitAsync(TimeSpan.FromSeconds(60), context.RequestAborted);
            await context.Response.WriteAsync("body after head");
        });

        // A gRPC trailers-only error, as a gRPC server sends it: the status in the only HEADERS frame, with END_STREAM.
        app.MapPost("/miaudit.Test/Denied", context =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "7";
            context.Response.Headers["grpc-message"] = "denied";
            return Task.CompletedTask;
        });
        app.Map("/ws", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            // ?deflate accepts permessage-deflate when offered; ?sink only receives (a client may send without reading).
            var sink = context.Request.Query.ContainsKey("sink");
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                DangerousEnableCompression = context.Request.Query.ContainsKey("deflate"),
            });
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                if (sink)
                {
                    continue;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
            }
        });
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

    private Task Gate(string key) => _gates.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Lets <c>/head-first?key=</c><paramref name="key"/> send its body.</summary>
    public void Release(string key) => _gates.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>The deterministic bytes <c>/bytes</c> streams (repeating 0..250).</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }

        return bytes;
    }

    private static async Task<long> Drain(Stream body, IncrementalHash hash)
    {
        var buffer = new byte[64 * 1024];
        long length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }

        return length;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What <c>/echo</c> saw.</summary>
public sealed record EchoResponse(string Method, string RawTarget, string Protocol, string[][] Headers, long BodyLength, string BodySha256)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public IEnumerable<string> HeaderNames => Headers.Select(h => h[0].ToLowerInvariant());

    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h[0], name, StringComparison.OrdinalIgnoreCase))?[1];
}
