using System.Net;
using System.Net.NetworkInformation;

namespace MiAudit.Proxy.Access;

/// <summary>
/// Refuses upstream connections to this machine itself — loopback, the unspecified address, its own interface
/// addresses — so a phone (or a page it loads) cannot reach the researcher's local services through the proxy, and
/// the proxy cannot loop into itself. <c>--allow-loopback-upstream</c> lifts this (tests and local collectors need it).
/// </summary>
public sealed class UpstreamAddressPolicy
{
    private readonly bool _allowLocal;
    private readonly HashSet<IPAddress> _ownAddresses;

    public UpstreamAddressPolicy(bool allowLocal, IEnumerable<IPAddress>? ownAddresses = null)
    {
        _allowLocal = allowLocal;
        _ownAddresses = [.. ownAddresses ?? LocalAddresses()];
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

        return _ownAddresses.Contains(target)
            ? $"{target} is an address of this machine; start MiAudit with --allow-loopback-upstream to allow it"
            : null;
    }

    private static IEnumerable<IPAddress> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
                .Select(unicast => unicast.Address)
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
