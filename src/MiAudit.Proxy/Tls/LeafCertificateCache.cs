using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Flows;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Leaf certificates ready for <see cref="SslStream"/>, one per host, least recently used dropped past the capacity
/// so a long session does not grow memory. Minting happens at most once per host while it stays cached.
/// </summary>
public sealed class LeafCertificateCache
{
    private readonly LeafCertificateFactory _factory;
    private readonly X509Certificate2Collection _chain;
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly Lock _lock = new();
    private long _minted;

    public LeafCertificateCache(LeafCertificateFactory factory, X509Certificate2 authority, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _factory = factory;
        _chain = [authority];
        _capacity = capacity;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>How many leaves were minted since start (a cache miss mints one).</summary>
    public long Minted => Interlocked.Read(ref _minted);

    public SslStreamCertificateContext Get(string host)
    {
        var key = HostPattern.Normalize(host);
        Lazy<SslStreamCertificateContext> lazy;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                lazy = node.Value.Context;
            }
            else
            {
                lazy = new Lazy<SslStreamCertificateContext>(() => Mint(key));
                _entries[key] = _recency.AddFirst(new Entry(key, lazy));
                if (_entries.Count > _capacity)
                {
                    var oldest = _recency.Last!;
                    _recency.RemoveLast();
                    _entries.Remove(oldest.Value.Host);
                }
            }
        }

        return lazy.Value;
    }

    private SslStreamCertificateContext Mint(string host)
    {
        Interlocked.Increment(ref _minted);
        return SslStreamCertificateContext.Create(_factory.Create(host), _chain, offline: true);
    }

    private sealed record Entry(string Host, Lazy<SslStreamCertificateContext> Context);
}
