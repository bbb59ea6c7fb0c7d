using System.Net;

namespace MiAudit.Detection.Sites;

/// <summary>
/// The Public Suffix List (embedded copy, MPL-2.0), to tell sites apart: <c>news.example.co.uk</c> and
/// <c>cdn.example.co.uk</c> are one site, <c>a.github.io</c> and <c>b.github.io</c> are two.
/// </summary>
public sealed class PublicSuffixList
{
    private static readonly Lazy<PublicSuffixList> Embedded = new(LoadEmbedded);

    private readonly HashSet<string> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wildcards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _exceptions = new(StringComparer.Ordinal);

    // Every flow asks for its site, and a session sees a few hundred hosts: remember the answers (bounded).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _cache = new(StringComparer.Ordinal);
    private const int CacheCapacity = 10_000;

    public PublicSuffixList(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            line = line.Split(' ', '\t')[0].ToLowerInvariant();
            if (line.StartsWith("!", StringComparison.Ordinal))
            {
                _exceptions.Add(line[1..]);
            }
            else if (line.StartsWith("*.", StringComparison.Ordinal))
            {
                _wildcards.Add(line[2..]);
            }
            else
            {
                _rules.Add(line);
            }
        }
    }

    public static PublicSuffixList Default => Embedded.Value;

    /// <summary>
    /// The registrable domain (eTLD+1) of a host: the site it belongs to. IP addresses are their own site;
    /// a host that is itself a public suffix is returned as is.
    /// </summary>
    public string RegistrableDomain(string host)
    {
        if (_cache.TryGetValue(host, out var cached))
        {
            return cached;
        }

        if (_cache.Count >= CacheCapacity)
        {
            _cache.Clear();
        }

        return _cache[host] = Compute(host);
    }

    private string Compute(string host)
    {
        var name = host.Trim().TrimEnd('.').Trim('[', ']').ToLowerInvariant();
        if (name.Length == 0 || IPAddress.TryParse(name, out _))
        {
            return name;
        }

        var labels = name.Split('.');
        var suffixLabels = PublicSuffixLength(labels);
        return suffixLabels >= labels.Length ? name : string.Join('.', labels[^(suffixLabels + 1)..]);
    }

    /// <summary>True when both hosts belong to the same registrable domain.</summary>
    public bool SameSite(string hostA, string hostB) => RegistrableDomain(hostA) == RegistrableDomain(hostB);

    /// <summary>How many trailing labels form the public suffix (the implicit rule "*" gives at least one).</summary>
    private int PublicSuffixLength(string[] labels)
    {
        for (var start = 0; start < labels.Length; start++)
        {
            var candidate = string.Join('.', labels[start..]);
            if (_exceptions.Contains(candidate))
            {
                return labels.Length - start - 1;
            }

            if (_rules.Contains(candidate))
            {
                return labels.Length - start;
            }

            if (start + 1 < labels.Length && _wildcards.Contains(string.Join('.', labels[(start + 1)..])))
            {
                return labels.Length - start;
            }
        }

        return 1;
    }

    private static PublicSuffixList LoadEmbedded()
    {
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream("MiAudit.Detection.public_suffix_list.dat")
            ?? throw new InvalidOperationException("embedded public suffix list missing");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return new PublicSuffixList(lines);
    }
}
