using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MiAudit.Proxy.Tls;

namespace MiAudit.Cli.Run;

/// <summary>What a researcher needs at start: the address to type into the phone, the CA page, a QR code.</summary>
public static class StartupBanner
{
    public static string Render(IPEndPoint bound, CertificateAuthority authority, bool insecureUpstream)
    {
        var addresses = PhoneFacingAddresses(bound).ToList();
        var lines = new List<string> { "", "MiAudit proxy is running." };
        if (addresses.Count == 0)
        {
            lines.Add($"  Listening on {bound} (not reachable from other devices).");
        }
        else
        {
            lines.Add("  Set the phone's Wi-Fi proxy to (manual, host and port):");
            lines.AddRange(addresses.Select(a => $"    {a}  port {bound.Port}"));
        }

        // The proxy's own address serves the certificate page before the phone's proxy is set; miaudit.cert only after.
        var page = addresses.Count == 0 ? null : $"http://{addresses[0]}:{bound.Port}/";
        lines.Add(page is null
            ? "  Then open http://miaudit.cert/ on the phone to install the CA certificate."
            : $"  Then open {page} on the phone (or http://miaudit.cert/ once the proxy is set) to install the CA certificate.");
        lines.Add($"  CA: {authority.CertificatePath}{(authority.Created ? " (new: install it on the phone)" : "")}");
        lines.Add($"  CA SHA-256: {authority.Sha256Fingerprint}");
        if (insecureUpstream)
        {
            lines.Add("  WARNING: upstream certificate verification is OFF (--insecure-upstream).");
        }

        if (page is not null)
        {
            lines.Add("");
            lines.Add($"  Scan to open {page}");
            lines.AddRange(TerminalQrCode.Render(page));
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The IPv4 addresses of this machine a phone could reach, given what the proxy is bound to.</summary>
    public static IEnumerable<IPAddress> PhoneFacingAddresses(IPEndPoint bound)
    {
        if (IPAddress.IsLoopback(bound.Address))
        {
            return [];
        }

        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any))
        {
            return [bound.Address];
        }

        return NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .Where(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
            .Distinct();
    }
}
