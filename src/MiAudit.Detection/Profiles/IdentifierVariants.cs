using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MiAudit.Detection.Profiles;

/// <summary>
/// The forms in which an identifier travels: as written (any case), normalised as SDKs normalise before hashing
/// (<see cref="NormalisedForms"/>), and hashed — every family published leak detectors search, full, cut to 8 or 16
/// hex digits, as base64 of the digest, md5 with leading zeros dropped per byte, and two layers deep (a hash of a
/// hash's hex) — because hashing does not anonymise an identifier whose possible values can be enumerated. Computed
/// once per profile into one automaton, so a request costs the same whatever the number of variants.
/// </summary>
public static class IdentifierVariants
{
    /// <summary>The hash families, in the order findings name them.</summary>
    public static IReadOnlyList<(string Name, Func<byte[], byte[]> Hash)> Families { get; } = BuildFamilies();

    private static (string, Func<byte[], byte[]>)[] BuildFamilies()
    {
        List<(string, Func<byte[], byte[]>)> families =
        [
            ("md5", MD5.HashData), ("sha1", SHA1.HashData), ("sha224", Sha224.HashData), ("sha256", SHA256.HashData),
            ("sha384", SHA384.HashData), ("sha512", SHA512.HashData),
        ];
        if (SHA3_256.IsSupported)
        {
            families.Add(("sha3-256", SHA3_256.HashData));
        }

        return [.. families];
    }

    /// <param name="field">The profile field, e.g. <c>imei</c>.</param>
    /// <param name="value">The value as the researcher wrote it.</param>
    public static IEnumerable<IdentifierVariant> For(string field, string value)
    {
        var forms = NormalisedForms.For(field, value);
        foreach (var (text, description, _) in forms)
        {
            yield return new IdentifierVariant(text, description, CaseSensitive: false);
        }

        // Hash what an app would hash: each form as written, lower- and upper-case.
        var inputs = forms.Where(f => f.Hashed)
            .SelectMany(f => new[] { f.Text, f.Text.ToLowerInvariant(), f.Text.ToUpperInvariant() }.Select(t => (Text: t, f.Description)))
            .DistinctBy(i => i.Text, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (input, of) in inputs)
        {
            foreach (var (name, hash) in Families)
            {
                var digest = hash(Encoding.UTF8.GetBytes(input));
                var hex = Convert.ToHexStringLower(digest);
                if (!seen.Add(hex))
                {
                    continue;
                }

                var described = $"{name} of {of}";
                foreach (var variant in DigestForms(digest, hex, described, name == "md5"))
                {
                    yield return variant;
                }

                // A hash of this hash's hex: md5(sha1(x)), sha256(md5(x)) …
                foreach (var (outer, outerHash) in Families)
                {
                    var layered = Convert.ToHexStringLower(outerHash(Encoding.ASCII.GetBytes(hex)));
                    if (seen.Add(layered))
                    {
                        yield return new IdentifierVariant(layered, $"{outer} of {described}", CaseSensitive: false);
                    }
                }
            }
        }
    }

    private static IEnumerable<IdentifierVariant> DigestForms(byte[] digest, string hex, string described, bool md5)
    {
        yield return new IdentifierVariant(hex, described, CaseSensitive: false);
        yield return new IdentifierVariant(hex[..16], $"{described} (first 16 hex digits)", CaseSensitive: false);
        yield return new IdentifierVariant(hex[..8], $"{described} (first 8 hex digits)", CaseSensitive: false);
        yield return new IdentifierVariant(Convert.ToBase64String(digest), $"base64 of {described}", CaseSensitive: true);
        if (md5)
        {
            var dropped = string.Concat(digest.Select(b => b.ToString("x", CultureInfo.InvariantCulture)));
            if (dropped != hex)
            {
                yield return new IdentifierVariant(dropped, $"{described} (leading zeros dropped)", CaseSensitive: false);
            }
        }
    }
}

/// <param name="Text">The text to search for.</param>
/// <param name="Description">What finding it proves, e.g. "sha256 of imei (first 16 hex digits)".</param>
/// <param name="CaseSensitive">Base64 is case-sensitive; hex and most identifiers are not.</param>
public sealed record IdentifierVariant(string Text, string Description, bool CaseSensitive);
