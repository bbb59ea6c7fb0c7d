using System.Security.Cryptography;
using System.Text;

namespace MiAudit.Detection.Profiles;

/// <summary>
/// The forms in which an identifier travels: as written (any case), with other separators (MACs), and hashed —
/// md5/sha1/sha256 hex, the first 16 hex digits, base64 of the digest, and md5 with leading zeros dropped per byte —
/// because hashing does not anonymise an identifier whose possible values can be enumerated.
/// </summary>
public static class IdentifierVariants
{
    private static readonly (string Name, Func<byte[], byte[]> Hash)[] Hashes =
        [("md5", MD5.HashData), ("sha1", SHA1.HashData), ("sha256", SHA256.HashData)];

    /// <param name="field">The profile field, e.g. <c>imei</c>.</param>
    /// <param name="value">The value as the researcher wrote it.</param>
    public static IEnumerable<IdentifierVariant> For(string field, string value)
    {
        var plain = new List<(string Text, string Description)>();
        if (field == "mac" && MacAddress.Normalize(value) is { } mac)
        {
            var spellings = MacAddress.Spellings(mac).ToArray();
            plain.Add((spellings[0], field));
            plain.Add((spellings[1], $"{field} (dash-separated)"));
            plain.Add((spellings[2], $"{field} (no separators)"));
            plain.Add((spellings[3], $"{field} (dotted)"));
        }
        else
        {
            plain.Add((value, field));
            if (field == "phone_number" && new string(value.Where(char.IsAsciiDigit).ToArray()) is { Length: >= 6 } digits && digits != value)
            {
                plain.Add((digits, $"{field} (digits only)"));
            }
        }

        foreach (var (text, description) in plain)
        {
            yield return new IdentifierVariant(text, description, CaseSensitive: false);
        }

        // Hash what an app would hash: the value as written and its lower- and upper-case forms.
        var hashInputs = plain.Take(field == "mac" ? 3 : 1)
            .SelectMany(p => new[] { p.Text, p.Text.ToLowerInvariant(), p.Text.ToUpperInvariant() })
            .Distinct(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var input in hashInputs)
        {
            foreach (var (name, hash) in Hashes)
            {
                var digest = hash(Encoding.UTF8.GetBytes(input));
                var hex = Convert.ToHexStringLower(digest);
                if (!seen.Add(hex))
                {
                    continue;
                }

                var of = $"{name} of {field}";
                yield return new IdentifierVariant(hex, of, CaseSensitive: false);
                yield return new IdentifierVariant(hex[..16], $"{of} (first 16 hex digits)", CaseSensitive: false);
                yield return new IdentifierVariant(Convert.ToBase64String(digest), $"base64 of {of}", CaseSensitive: true);
                if (name == "md5")
                {
                    var dropped = string.Concat(digest.Select(b => b.ToString("x", System.Globalization.CultureInfo.InvariantCulture)));
                    if (dropped != hex)
                    {
                        yield return new IdentifierVariant(dropped, $"{of} (leading zeros dropped)", CaseSensitive: false);
                    }
                }
            }
        }
    }
}

/// <param name="Text">The text to search for.</param>
/// <param name="Description">What finding it proves, e.g. "sha256 of imei (first 16 hex digits)".</param>
/// <param name="CaseSensitive">Base64 is case-sensitive; hex and most identifiers are not.</param>
public sealed record IdentifierVariant(string Text, string Description, bool CaseSensitive);
