using System.Net;

namespace MiAudit.Proxy.Access;

/// <summary>
/// Which clients may use the proxy. By default only private addresses — loopback, RFC 1918, link-local, IPv6 ULA and
/// carrier-grade NAT — because MiAudit listens on a shared Wi-Fi and can impersonate any site to whoever uses it.
/// <c>--allow-client CIDR</c> replaces that list with the researcher's own.
/// </summary>
public sealed class ClientAccessPolicy
{
    public static readonly IReadOnlyList<IPNetwork> PrivateNetworks =
    [
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("fc00::/7"),
    ];

    private readonly IPNetwork[] _allowed;

    public ClientAccessPolicy(IEnumerable<IPNetwork>? allowed = null)
    {
        _allowed = allowed?.ToArray() is { Length: > 0 } explicitList ? explicitList : [.. PrivateNetworks];
    }

    public IReadOnlyList<IPNetwork> Allowed => _allowed;

    public bool Allows(IPAddress? address)
    {
        if (address is null)
        {
            return true; // not a socket (in-memory transport): nothing to check
        }

        var client = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _allowed.Any(network => network.Contains(client));
    }
}
