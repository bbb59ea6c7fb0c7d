using System.Globalization;
using System.Net;
using MiAudit.Flows;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Fixed addresses for host names (<c>--map-host NAME=IP</c> or <c>NAME=IP:PORT</c>): the proxy connects there
/// instead of resolving the name, while TLS and the Host header keep the original name. Researchers sinkhole hosts
/// or point them at a local collector; tests serve real-looking names on loopback.
/// </summary>
public sealed class HostMap
{
    private readonly List<(HostPattern Pattern, IPAddress Address, int? Port)> _entries = [];

    public int Count => _entries.Count;

    public IEnumerable<(string Pattern, IPAddress Address, int? Port)> Entries => _entries.Select(e => (e.Pattern.Text, e.Address, e.Port));

    public void Add(string pattern, IPAddress address, int? port = null) => _entries.Add((new HostPattern(pattern), address, port));

    /// <summary>Parses <c>NAME=IP</c>, <c>NAME=IP:PORT</c> or <c>NAME=[IPv6]:PORT</c>.</summary>
    public void Add(string mapping)
    {
        var separator = mapping.IndexOf('=');
        var target = separator > 0 ? mapping[(separator + 1)..].Trim() : "";
        if (IPAddress.TryParse(target.Trim('[', ']'), out var address))
        {
            Add(mapping[..separator], address);
        }
        else if (IPEndPoint.TryParse(target, out var endPoint) && endPoint.Port > 0 && (target.StartsWith('[') || !target.Contains("::")))
        {
            Add(mapping[..separator], endPoint.Address, endPoint.Port);
        }
        else
        {
            throw new FormatException($"'{mapping}' is not NAME=IP or NAME=IP:PORT (e.g. sa.example.com=127.0.0.1:8443)");
        }
    }

    /// <summary>The address (and port, when the mapping names one) to connect to for <paramref name="host"/>.</summary>
    public bool TryResolve(string host, int port, out IPEndPoint endPoint)
    {
        foreach (var (pattern, address, mappedPort) in _entries)
        {
            if (pattern.Matches(host))
            {
                endPoint = new IPEndPoint(address, mappedPort ?? port);
                return true;
            }
        }

        endPoint = new IPEndPoint(IPAddress.None, port);
        return false;
    }

    public override string ToString() =>
        string.Join(", ", _entries.Select(e => $"{e.Pattern}={e.Address}{(e.Port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "")}"));
}
