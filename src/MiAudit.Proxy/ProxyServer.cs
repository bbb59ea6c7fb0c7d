using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiAudit.Flows;
using MiAudit.Proxy.Access;
using MiAudit.Proxy.Capture;
using MiAudit.Proxy.Connect;
using MiAudit.Proxy.Forwarding;
using MiAudit.Proxy.Logging;
using MiAudit.Proxy.Tls;
using Yarp.ReverseProxy.Forwarder;

namespace MiAudit.Proxy;

/// <summary>
/// The running MITM proxy: Kestrel on the client side (with the CONNECT middleware in front of HTTP), YARP on the
/// upstream side, and a dispatcher that hands finished flows to observers.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FlowDispatcher _flows;
    private readonly LeafCertificateFactory _leafFactory;
    private readonly IDisposable[] _stopWithApp; // what feeds the dispatcher from outside requests: stopped before it closes
    private bool _stopped;

    private ProxyServer(WebApplication app, FlowDispatcher flows, LeafCertificateFactory leafFactory,
        LeafCertificateCache certificates, PassthroughPolicy passthrough, IDisposable[] stopWithApp)
    {
        _stopWithApp = stopWithApp;
        _app = app;
        _flows = flows;
        _leafFactory = leafFactory;
        Certificates = certificates;
        Passthrough = passthrough;
    }

    public LeafCertificateCache Certificates { get; }

    public PassthroughPolicy Passthrough { get; }

    /// <summary>Flows handed to every observer so far.</summary>
    public long FlowsDispatched => _flows.Dispatched;

    /// <summary>The addresses actually bound (port 0 resolved), known after <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndPoints { get; private set; } = [];

    public static ProxyServer Create(ProxyOptions options, CertificateAuthority authority, IEnumerable<IFlowObserver> observers,
        ILoggerFactory loggerFactory, TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var throttle = new LogThrottle(clock, TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton<ILoggerFactory>(new ServerLoggerFactory(loggerFactory, throttle));
        builder.Services.AddHttpForwarder();

        var flows = new FlowDispatcher(observers, options.FlowQueueCapacity, options.FlowQueueBodyBytes, loggerFactory.CreateLogger<FlowDispatcher>());
        var connector = new UpstreamConnector(options.HostMap, options.UpstreamConnectTimeout, new UpstreamAddressPolicy(options.AllowLoopbackUpstream));
        var authentication = options.ProxyAuthentication is { } credentials ? new ProxyAuthentication(credentials) : null;
        var access = new ClientAccessMiddleware(new ClientAccessPolicy(options.AllowedClients), clock, loggerFactory.CreateLogger<ClientAccessMiddleware>());
        var leafFactory = new LeafCertificateFactory(authority, clock);
        var certificates = new LeafCertificateCache(leafFactory, authority.Certificate, options.LeafCacheCapacity);
        var passthrough = new PassthroughPolicy(options.PassthroughHosts, options.AutoPassthroughAfterFailures);
        var validator = new UpstreamCertificateValidator(options.UpstreamTrustedCas, options.InsecureUpstream);
        var connect = new ConnectMiddleware(options, authentication, new TlsInterceptor(certificates, options.EnableHttp2,
            new OriginProtocols(connector, clock, loggerFactory.CreateLogger<OriginProtocols>())), passthrough,
            new TcpRelay(connector), new DecryptedRelay(connector, validator, options.BodyCaptureLimit), flows, clock, throttle, loggerFactory.CreateLogger<ConnectMiddleware>());

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.AllowHostHeaderOverride = true; // absolute-form targets win over a disagreeing Host header
            // :scheme is the client's to choose: h2c clients send "http" on a connection Kestrel believes is TLS.
            kestrel.AllowAlternateSchemes = true;
            kestrel.RequestHeaderEncodingSelector = _ => HeaderBytes.Wire;
            kestrel.ResponseHeaderEncodingSelector = _ => HeaderBytes.Wire;
            ProxyLimits.Apply(kestrel.Limits, options);
            kestrel.Listen(options.ListenEndPoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => connection => access.OnConnectionAsync(connection, next));
                listen.Use(next => connection => connect.OnConnectionAsync(connection, next));
            });
        });

        var app = builder.Build();
        var connections = new UpstreamConnectionLimit(options.MaxIdleUpstreamConnections);
        var running = new RunningExchanges(flows, options.SnapshotAfter, options.SnapshotInterval, clock, loggerFactory.CreateLogger<RunningExchanges>());
        var handler = new ProxyRequestHandler(
            authentication,
            app.Services.GetRequiredService<IHttpForwarder>(),
            UpstreamClientFactory.Create(connector, validator, connections),
            connections,
            flows,
            running,
            new CertificatePage.CertificatePage(authority),
            options,
            clock,
            loggerFactory.CreateLogger<ProxyRequestHandler>());
        app.Run(handler.HandleAsync);
        var rejected = RejectedRequests.Subscribe(app.Services.GetRequiredService<DiagnosticListener>(),
            new RejectedRequests(flows, clock, loggerFactory.CreateLogger<RejectedRequests>()));
        return new ProxyServer(app, flows, leafFactory, certificates, passthrough, [rejected, running]);
    }

    /// <exception cref="IOException">The address is in use or cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken);
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        BoundEndPoints = addresses.Select(ParseAddress).ToArray();
    }

    /// <summary>Stops accepting, lets in-flight exchanges finish (up to <paramref name="drainTimeout"/>), then delivers every queued flow.</summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var drain = new CancellationTokenSource(drainTimeout);
        await _app.StopAsync(drain.Token);
        foreach (var feeder in _stopWithApp)
        {
            feeder.Dispose();
        }

        await _flows.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        await _app.DisposeAsync();
        _leafFactory.Dispose();
    }

    private static IPEndPoint ParseAddress(string url)
    {
        var uri = new Uri(url);
        var host = uri.Host.Trim('[', ']');
        return new IPEndPoint(IPAddress.TryParse(host, out var address) ? address : IPAddress.Loopback, uri.Port);
    }
}
