using System.Net;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Proxy.Forwarding;

namespace MiAudit.Proxy;

/// <summary>Everything the engine needs to run; the CLI fills it from arguments.</summary>
public sealed class ProxyOptions
{
    /// <summary>Where to listen. Default 0.0.0.0:8080 so a phone on the same Wi-Fi can reach it.</summary>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Any, 8080);

    /// <summary>Networks whose clients may use the proxy; empty means private addresses only.</summary>
    public IList<IPNetwork> AllowedClients { get; } = [];

    /// <summary><c>user:password</c> for HTTP Basic proxy authentication, or null for none.</summary>
    public string? ProxyAuthentication { get; set; }

    /// <summary>Allow upstream connections to this machine (loopback, its own addresses): off by default.</summary>
    public bool AllowLoopbackUpstream { get; set; }

    /// <summary>Hosts whose TLS is relayed untouched; <c>*.example.com</c> style wildcards allowed.</summary>
    public IList<string> PassthroughHosts { get; } = [];

    /// <summary>Consecutive client handshake aborts for one host before it is passed through automatically (0 = never).</summary>
    public int AutoPassthroughAfterFailures { get; set; } = 3;

    /// <summary>Names the proxy connects to at a fixed address instead of resolving them (like curl's --resolve).</summary>
    public HostMap HostMap { get; set; } = new();

    /// <summary>Extra certificate authorities trusted for upstream TLS, in addition to the system store.</summary>
    public X509Certificate2Collection UpstreamTrustedCas { get; } = [];

    /// <summary>Turns upstream certificate verification off. Explicit, logged, never the default.</summary>
    public bool InsecureUpstream { get; set; }

    /// <summary>How many body bytes of each request and of each response are kept for observers.</summary>
    public int BodyCaptureLimit { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The longest request line accepted (HTTP/2: the longest header field, which holds <c>:path</c>). Real sites send
    /// 8–16 KB URLs; Kestrel's 8 KiB default would turn those away.
    /// </summary>
    public int MaxRequestLineBytes { get; set; } = 64 * 1024;

    /// <summary>The largest request head (all header fields together) accepted.</summary>
    public int MaxRequestHeadersBytes { get; set; } = 256 * 1024;

    /// <summary>How many leaf certificates are kept (least recently used are dropped).</summary>
    public int LeafCacheCapacity { get; set; } = 1024;

    /// <summary>Offer HTTP/2 to clients inside intercepted TLS.</summary>
    public bool EnableHttp2 { get; set; } = true;

    /// <summary>How long a client may take to send a CONNECT head.</summary>
    public TimeSpan ConnectHeadTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest CONNECT head accepted, in bytes.</summary>
    public int MaxConnectHeadBytes { get; set; } = 16 * 1024;

    /// <summary>How long to wait for the client's first bytes in a tunnel before treating it as server-speaks-first TCP.</summary>
    public TimeSpan TunnelSniffTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long to wait for an upstream TCP connection.</summary>
    public TimeSpan UpstreamConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a request or response may stay silent (no head, no body byte either way) before the exchange fails
    /// with 504. Minutes, not seconds: phones hold long polls open for minutes.
    /// </summary>
    public TimeSpan UpstreamActivityTimeout { get; set; } = DefaultIdleTimeout;

    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an upgraded stream (a WebSocket, any <c>Upgrade</c> or extended CONNECT) may stay silent in both
    /// directions before it is closed; infinite by default: it stays open while both ends keep it open.
    /// </summary>
    public TimeSpan UpgradedIdleTimeout { get; set; } = DefaultUpgradedIdleTimeout;

    public static readonly TimeSpan DefaultUpgradedIdleTimeout = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Upstream connections kept open across all hosts before idle ones (hosts with no request in flight) are closed,
    /// least recently used first. Busy connections are never closed, so more may be open while that many are busy.
    /// </summary>
    public int MaxIdleUpstreamConnections { get; set; } = 256;

    /// <summary>
    /// An exchange still running after this long (a WebSocket, a stream, a long poll) is stored as a snapshot — request,
    /// response head, messages so far — and again every <see cref="SnapshotInterval"/>, so it is on disk and in
    /// <c>miaudit findings</c> while it lasts. The finished flow replaces the snapshot.
    /// </summary>
    public TimeSpan SnapshotAfter { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many finished flows may wait for observers before new ones wait (back-pressure).</summary>
    public int FlowQueueCapacity { get; set; } = 2048;

    /// <summary>How many captured body bytes those waiting flows may hold together.</summary>
    public long FlowQueueBodyBytes { get; set; } = 128L * 1024 * 1024;
}
