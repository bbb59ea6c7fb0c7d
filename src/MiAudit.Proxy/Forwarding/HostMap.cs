using System.Net;
using MiAudit.Flows;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Fixed addresses for host names (<c>--map-host NAME=IP</c>): the proxy connects there instead of resolving the name,
/// while TLS still uses the original name. Researchers sinkhole hosts with it; tests serve real-looking names on loopback.
/// </summary>
public sealed class HostMap
{
    private readonly List<(HostPattern Pattern, IPAddress Address)> _entries = [];

    public int Count => _entries.Count;

    public void Add(string pattern, IPAddress address) => _entries.Add((new HostPattern(pattern), address));

    /// <summary>Parses <c>NAME=IP</c>.</summary>
    public void Add(string mapping)
    {
        var separator = mapping.LastIndexOf('=');
        if (separator <= 0 || !IPAddress.TryParse(mapping[(separator + 1)..].Trim('[', ']', ' '), out var address))
        {
            throw new FormatException($"'{mapping}' is not NAME=IP (e.g. sa.example.com=127.0.0.1)");
        }

        Add(mapping[..separator], address);
    }

    public bool TryResolve(string host, out IPAddress address)
    {
        foreach (var (pattern, mapped) in _entries)
        {
            if (pattern.Matches(host))
            {
                address = mapped;
                return true;
            }
        }

        address = IPAddress.None;
        return false;
    }
}
