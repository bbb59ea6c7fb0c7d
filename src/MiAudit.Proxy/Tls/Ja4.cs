using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// JA4 (FoxIO's TLS client fingerprint) of a ClientHello: <c>t13d1516h2_8daaf6152771_e5627efa2ab1</c> — TLS version,
/// SNI present, counts of ciphers and extensions, ALPN; then truncated SHA-256 of the sorted ciphers and of the sorted
/// extensions with the signature algorithms. GREASE values are ignored and extension order does not count, so a
/// browser that shuffles its extensions keeps one fingerprint, while a native SDK on the same phone has another.
/// </summary>
internal static class Ja4
{
    public const ushort SignatureAlgorithmsExtension = 13;
    public const ushort SupportedVersionsExtension = 43;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;

    /// <summary>What the fingerprint is computed from, gathered while the hello is parsed.</summary>
    public sealed class Parts(ushort legacyVersion, List<ushort> cipherSuites)
    {
        public List<ushort> Extensions { get; } = [];

        public List<ushort> SupportedVersions { get; } = [];

        public List<ushort> SignatureAlgorithms { get; } = [];

        public string Fingerprint(string? serverName, IReadOnlyList<string> protocols)
        {
            var ciphers = cipherSuites.Where(c => !IsGrease(c)).ToList();
            var extensions = Extensions.Where(e => !IsGrease(e)).ToList();
            var versions = SupportedVersions.Where(v => !IsGrease(v)).ToList();
            var version = versions.Count > 0 ? versions.Max() : legacyVersion;
            var prefix = string.Create(CultureInfo.InvariantCulture,
                $"t{VersionCode(version)}{(serverName is null ? 'i' : 'd')}{Math.Min(ciphers.Count, 99):D2}{Math.Min(extensions.Count, 99):D2}{AlpnCode(protocols)}");
            var hashedExtensions = Hex(extensions.Where(e => e is not ServerNameExtension and not AlpnExtension).Order());
            var algorithms = SignatureAlgorithms.Where(a => !IsGrease(a)).ToList();
            var extensionPart = algorithms.Count == 0 ? hashedExtensions : $"{hashedExtensions}_{Hex(algorithms)}";
            return $"{prefix}_{Truncated(Hex(ciphers.Order()))}_{(extensions.Count == 0 ? new string('0', 12) : Truncated(extensionPart))}";
        }
    }

    /// <summary>A vector of big-endian 16-bit values.</summary>
    public static List<ushort> Values(ReadOnlySpan<byte> data)
    {
        var values = new List<ushort>(data.Length / 2);
        for (; data.Length >= 2; data = data[2..])
        {
            values.Add(BinaryPrimitives.ReadUInt16BigEndian(data));
        }

        return values;
    }

    /// <summary>GREASE (RFC 8701): 0x0a0a, 0x1a1a … 0xfafa, sent to keep servers tolerant, different on every hello.</summary>
    private static bool IsGrease(ushort value) => (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);

    private static string VersionCode(ushort version) => version switch
    {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        _ => "00",
    };

    /// <summary>The first and last character of the first ALPN name; its hex's when they are not alphanumeric.</summary>
    private static string AlpnCode(IReadOnlyList<string> protocols)
    {
        if (protocols.Count == 0 || protocols[0].Length == 0)
        {
            return "00";
        }

        var first = protocols[0];
        if (char.IsAsciiLetterOrDigit(first[0]) && char.IsAsciiLetterOrDigit(first[^1]))
        {
            return $"{first[0]}{first[^1]}";
        }

        var hex = Convert.ToHexStringLower(Encoding.Latin1.GetBytes(first));
        return $"{hex[0]}{hex[^1]}";
    }

    private static string Hex(IEnumerable<ushort> values) => string.Join(',', values.Select(v => v.ToString("x4", CultureInfo.InvariantCulture)));

    private static string Truncated(string text) =>
        text.Length == 0 ? new string('0', 12) : Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text)))[..12];
}
