using System.Security.Cryptography;
using System.Text;

namespace MiAudit.Proxy.Access;

/// <summary>
/// Optional HTTP Basic proxy authentication (<c>--proxy-auth user:pass</c>) on CONNECT and on plain proxy requests.
/// Credentials are compared in constant time.
/// </summary>
public sealed class ProxyAuthentication
{
    public const string Challenge = "Basic realm=\"MiAudit\"";

    private readonly byte[] _expected;

    /// <exception cref="FormatException">Not <c>user:password</c>.</exception>
    public ProxyAuthentication(string userColonPassword)
    {
        if (userColonPassword.IndexOf(':') is <= 0)
        {
            throw new FormatException("use user:password");
        }

        _expected = Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword)));
    }

    /// <summary>True when the Proxy-Authorization header carries the configured credentials.</summary>
    public bool Accepts(string? proxyAuthorization)
    {
        if (proxyAuthorization is null || !proxyAuthorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var offered = Encoding.UTF8.GetBytes(proxyAuthorization["Basic ".Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(offered, _expected);
    }
}
