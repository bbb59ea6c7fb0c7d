using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// The sites of the browser test, all on one loopback TLS origin behind real-looking names: a news site, a search
/// engine, a browser start page, and two collectors that answer telemetry like the real ones would.
/// </summary>
public sealed class TelemetryOrigin : IAsyncDisposable
{
    public const string News = "www.dailynews.test";
    public const string Search = "search.findit.test";
    public const string BrowserHome = "m.browserhome.test";
    public const string SensorsCollector = "sa.datasink.test";
    public const string XiaomiCollector = "sa.api.intl.miui.com";

    private static readonly byte[] Gif = Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");

    private readonly ConcurrentQueue<(string Host, string Method, string Path)> _hits = new();

    private TelemetryOrigin(TlsOrigin origin) => Origin = origin;

    public TlsOrigin Origin { get; }

    public static string[] HostNames => [News, Search, BrowserHome, SensorsCollector, XiaomiCollector];

    public static async Task<TelemetryOrigin> StartAsync(TestCertificates certificates)
    {
        TelemetryOrigin? created = null;
        var origin = await TlsOrigin.StartAsync(certificates.CreateServerCertificate(HostNames), app => app.Use((context, next) => created!.HandleAsync(context, next)));
        created = new TelemetryOrigin(origin);
        return created;
    }

    /// <summary>Collector requests so far.</summary>
    public IReadOnlyCollection<(string Host, string Method, string Path)> Hits => _hits;

    public async Task WaitForHitsAsync(Func<IReadOnlyCollection<(string Host, string Method, string Path)>, bool> enough, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!enough(_hits))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"collectors never saw {what}; hits: {string.Join(", ", _hits)}");
            }

            await Task.Delay(100);
        }
    }

    private async Task HandleAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        if (request.Headers.Origin.Count > 0)
        {
            context.Response.Headers.AccessControlAllowOrigin = request.Headers.Origin.ToString();
            context.Response.Headers.AccessControlAllowCredentials = "true";
        }

        if (HttpMethods.IsOptions(request.Method))
        {
            context.Response.Headers.AccessControlAllowMethods = "GET, POST";
            context.Response.Headers.AccessControlAllowHeaders = request.Headers.AccessControlRequestHeaders.ToString();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var path = request.Path.Value ?? "/";
        if (path.StartsWith("/assets/", StringComparison.Ordinal))
        {
            await ServeFileAsync(context, path["/assets/".Length..]);
            return;
        }

        switch (request.Host.Host, path)
        {
            case (News, "/"):
                await ServeFileAsync(context, "news-home.html");
                return;
            case (News, "/politics/article-42"):
                await ServeFileAsync(context, "article.html");
                return;
            case (Search, "/search"):
                await ServeFileAsync(context, "search.html");
                return;
            case (BrowserHome, "/"):
                await ServeFileAsync(context, "browser-home.html");
                return;
            case (SensorsCollector, "/sa.gif"):
                await DrainAsync(context);
                _hits.Enqueue((SensorsCollector, request.Method, path));
                context.Response.ContentType = "image/gif";
                await context.Response.Body.WriteAsync(Gif);
                return;
            case (XiaomiCollector, "/sa"):
                await DrainAsync(context);
                _hits.Enqueue((XiaomiCollector, request.Method, path));
                await context.Response.WriteAsJsonAsync(new { code = 0 });
                return;
            default:
                await next();
                return;
        }
    }

    private static async Task DrainAsync(HttpContext context)
    {
        using var sink = new MemoryStream();
        await context.Request.Body.CopyToAsync(sink);
    }

    private static async Task ServeFileAsync(HttpContext context, string relative)
    {
        var assets = Path.Combine(AppContext.BaseDirectory, "assets");
        var file = Path.GetFullPath(Path.Combine(assets, relative));
        if (!file.StartsWith(assets, StringComparison.Ordinal) || !File.Exists(file))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = Path.GetExtension(file) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "application/javascript",
            _ => "application/octet-stream",
        };
        await context.Response.SendFileAsync(file);
    }

    public ValueTask DisposeAsync() => Origin.DisposeAsync();
}
