using System.Net;
using System.Security.Cryptography;

namespace MiAudit.Ui;

/// <summary>Where the UI listens, which store it shows, and the token every request must carry.</summary>
public sealed record UiOptions(IPEndPoint ListenEndPoint, MiAudit.Storage.StoreAddress Store)
{
    /// <summary>128 random bits, hex: in the banner's URL once, then in an HttpOnly cookie.</summary>
    public string Token { get; init; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Mask the device's identifiers in everything shown, as <c>--mask</c> does for exports.</summary>
    public bool Mask { get; init; }

    /// <summary>How often a live view is told about new flows.</summary>
    public TimeSpan LiveInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
