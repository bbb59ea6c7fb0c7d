using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiAudit.Storage;
using MiAudit.Ui.Access;
using MiAudit.Ui.Api;
using MiAudit.Ui.Assets;

namespace MiAudit.Ui;

/// <summary>
/// The local web UI (docs/ui.md): Kestrel on its own listener, reading the evidence store through
/// <see cref="IAuditStore"/> — the one a running proxy writes, or a stored database reviewed later. Requests take turns
/// on one store (a researcher's browser, not a crowd), so the store needs no thread safety of its own.
/// </summary>
public sealed class UiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IAuditStore _store;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly UiOptions _options;
    private readonly Lazy<Search.SearchIndexer?> _indexer;

    private UiServer(WebApplication app, IAuditStore store, UiOptions options, ILoggerFactory loggers)
    {
        _app = app;
        _store = store;
        _options = options;
        // Started by the first request the token lets in: a proxy whose UI nobody opens spends nothing on indexing.
        _indexer = new(() => Search.SearchIndexer.Start(options.Store, loggers.CreateLogger("MiAudit")), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The address to open, with the token: what the banner prints.</summary>
    public string Url { get; private set; } = "";

    /// <exception cref="StorageException">The store cannot be opened.</exception>
    /// <exception cref="IOException">The address is in use or cannot be bound.</exception>
    public static async Task<UiServer> StartAsync(UiOptions options, ILoggerFactory loggerFactory)
    {
        var store = AuditStores.Open(options.Store, readOnly: true);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, CallerOwnedLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.ListenEndPoint);
        });
        var app = builder.Build();
        var server = new UiServer(app, store, options, loggerFactory);
        var gate = new TokenGate(options.Token);
        app.Use(gate.InvokeAsync);
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            store.Dispose();
            throw;
        }

        // The port Kestrel bound (0 resolved); a wildcard address is opened through loopback, IPv6 in brackets.
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        var host = options.ListenEndPoint.Address;
        host = host.Equals(IPAddress.Any) ? IPAddress.Loopback : host.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : host;
        server.Url = new UriBuilder("http", host.ToString(), port, "/") { Query = "token=" + options.Token }.Uri.ToString();
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        _ = _indexer.Value;
        var path = context.Request.Path.Value ?? "/";
        if (context.Request.Method != HttpMethods.Get)
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (StaticAssets.TryGet(path, out var content, out var contentType))
        {
            context.Response.ContentType = contentType;
            await context.Response.Body.WriteAsync(content);
            return;
        }

        if (path == "/api/events")
        {
            await LiveEvents.StreamAsync(context, () => Read(queries => queries.LatestFlowId()), _options.LiveInterval, _app.Lifetime.ApplicationStopping);
            return;
        }

        try
        {
            await (path switch
            {
                "/api/flows" => Json(context, json => FlowList(json, context.Request.Query)),
                "/api/sessions" => Json(context, Sessions),
                "/api/compare" => Json(context, json => SessionComparison.Write(json, _store)),
                _ when path.StartsWith("/api/flows/", StringComparison.Ordinal) && long.TryParse(path["/api/flows/".Length..], out var id) => Detail(context, id),
                _ => NotFound(context),
            });
        }
        catch (FormatException e)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync(e.Message);
        }
    }

    private void FlowList(Utf8JsonWriter json, IQueryCollection query)
    {
        var request = FlowRequestQuery.Parse(query, _store.Sessions);
        var queries = Queries();
        json.WriteStartObject();
        if (request.Text is null)
        {
            var page = queries.FlowPage(request.Page);
            WriteFlows(json, page);
            json.WriteNumber("latest", queries.LatestFlowId());
            if (page.Count == request.Page.Limit && request.Page.AfterId is null)
            {
                json.WriteNumber("before", page[^1].RowId);
            }
        }
        else
        {
            var (matches, continueBefore, scanned) = FlowSearch.Run(queries, request, _indexer.Value);
            WriteFlows(json, matches);
            json.WriteNumber("latest", queries.LatestFlowId());
            json.WriteNumber("scanned", scanned);
            if (continueBefore is { } before)
            {
                json.WriteNumber("before", before);
            }
        }

        json.WriteEndObject();
    }

    private static void WriteFlows(Utf8JsonWriter json, IEnumerable<Storage.Reading.FlowSummary> flows)
    {
        json.WriteStartArray("flows");
        foreach (var flow in flows)
        {
            FlowJson.Summary(json, flow);
        }

        json.WriteEndArray();
    }

    private void Sessions(Utf8JsonWriter json)
    {
        json.WriteStartArray();
        foreach (var session in _store.Sessions.List())
        {
            json.WriteStartObject();
            json.WriteNumber("id", session.Id);
            json.WriteString("label", session.Label);
            json.WriteString("started", Timestamps.Format(session.StartedAt));
            json.WriteString("ended", session.EndedAt is { } ended ? Timestamps.Format(ended) : null);
            json.WriteNumber("flows", session.Flows);
            json.WriteNumber("findings", session.Findings);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private async Task Detail(HttpContext context, long id)
    {
        if (await Read(queries => queries.FlowById(id)) is not { } stored)
        {
            await NotFound(context);
            return;
        }

        await Json(context, json => FlowJson.Detail(json, stored), locked: false);
    }

    private async Task Json(HttpContext context, Action<Utf8JsonWriter> write, bool locked = true)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            if (locked)
            {
                await _turn.WaitAsync(context.RequestAborted);
                try
                {
                    write(json);
                }
                finally
                {
                    _turn.Release();
                }
            }
            else
            {
                write(json);
            }
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory);
    }

    private async Task<T> Read<T>(Func<IAuditQueries, T> read)
    {
        await _turn.WaitAsync();
        try
        {
            return read(Queries());
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// The store's reads, masked with <c>--mask</c> (a UI shown on a shared screen or a call): the policy is the
    /// store's as it stands now, so identifiers found since the last request are masked too.
    /// </summary>
    private IAuditQueries Queries() => _store.Queries(_options.Mask ? _store.StoredMasking() : null);

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_indexer.IsValueCreated)
        {
            _indexer.Value?.Dispose();
        }

        _store.Dispose();
        _turn.Dispose();
    }
}
