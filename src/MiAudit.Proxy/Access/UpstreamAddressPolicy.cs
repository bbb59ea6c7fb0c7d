using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace MiAudit.Proxy.Access;

/// <summary>
/// Refuses upstream connections to this machine itself — loopback, the unspecified address, any address of any of its
/// interfaces (whatever MiAudit listens on, and as they are now, not as they were at start) — so a phone (or a page
/// it loads) cannot reach the researcher's local services through the proxy, and the proxy cannot loop into itself.
/// <c>--allow-loopback-upstream</c> lifts this (tests and local collectors need it).
/// </summary>
public sealed class UpstreamAddressPolicy
{
    // Interface addresses are read again at most this often; the check after connecting covers the gap.
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly bool _allowLocal;
    private readonly IReadOnlySet<IPAddress>? _fixedAddresses;
    private readonly Lock _lock = new();
    private HashSet<IPAddress> _current = [];
    private long _readAt;

    /// <param name="ownAddresses">This machine's addresses, for tests; null reads the interfaces as they are.</param>
    public UpstreamAddressPolicy(bool allowLocal, IEnumerable<IPAddress>? ownAddresses = null)
    {
        _allowLocal = allowLocal;
        _fixedAddresses = ownAddresses is null ? null : new HashSet<IPAddress>(ownAddresses);
    }

    /// <summary>Null when the address may be connected to, else the reason it may not.</summary>
    public string? Refusal(IPAddress address)
    {
        if (_allowLocal)
        {
            return null;
        }

        var target = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (IPAddress.IsLoopback(target) || target.Equals(IPAddress.Any) || target.Equals(IPAddress.IPv6Any))
        {
            return $"{target} is this machine (loopback); start MiAudit with --allow-loopback-upstream to allow it";
        }

        return OwnAddresses().Contains(target) ? OwnAddress(target) : null;
    }

    /// <summary>
    /// Checked once connected, before a byte is sent: a connection to this machine has the same address at both ends
    /// (the kernel answers it locally), which catches an address added since the interfaces were last read.
    /// </summary>
    public string? RefusalOnceConnected(Socket socket)
    {
        if (_allowLocal || socket.LocalEndPoint is not IPEndPoint local || socket.RemoteEndPoint is not IPEndPoint remote)
        {
            return null;
        }

        var (near, far) = (Unmapped(local.Address), Unmapped(remote.Address));
        return near.Equals(far) ? OwnAddress(far) : Refusal(far);
    }

    private static string OwnAddress(IPAddress address) =>
        $"{address} is an address of this machine; start MiAudit with --allow-loopback-upstream to allow it";

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private IReadOnlySet<IPAddress> OwnAddresses()
    {
        if (_fixedAddresses is not null)
        {
            return _fixedAddresses;
        }

        lock (_lock)
        {
            if (_readAt == 0 || Stopwatch.GetElapsedTime(_readAt) >= RefreshInterval)
            {
                _current = [.. LocalAddresses()];
                _readAt = Stopwatch.GetTimestamp();
            }

            return _current;
        }
    }

    private static IEnumerable<IPAddress> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
                .Select(unicast => Unmapped(unicast.Address))
                .ToArray();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}

/// <summary>The upstream address is refused by <see cref="UpstreamAddressPolicy"/>.</summary>
public sealed class UpstreamForbiddenException(string host, string reason)
    : Exception($"refused to connect to {host}: {reason}");
