using System.Security.Cryptography;
using System.Text;
using MiAudit.Detection.Matching;

namespace MiAudit.Detection.History;

/// <summary>
/// One client's pages and searches, and the patterns that recognise them in other requests. The matcher is rebuilt
/// lazily, only when a request is analysed after the history changed, and replaced atomically.
/// </summary>
public sealed class ClientHistory(int maxPages)
{
    /// <summary>Patterns shorter than this would match by accident.</summary>
    public const int MinPatternLength = 10;

    private readonly Lock _lock = new();
    private readonly LinkedList<VisitedPage> _pages = new();
    private readonly Dictionary<string, LinkedListNode<VisitedPage>> _byUrl = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SearchTerm> _terms = new(StringComparer.OrdinalIgnoreCase);
    private HistorySnapshot? _snapshot;

    /// <summary>False when the page was known already (the first visit is the evidence; later ones add nothing to match).</summary>
    public bool AddPage(VisitedPage page)
    {
        lock (_lock)
        {
            if (_byUrl.ContainsKey(page.Url))
            {
                return false;
            }

            _byUrl[page.Url] = _pages.AddLast(page);
            if (_pages.Count > maxPages)
            {
                _byUrl.Remove(_pages.First!.Value.Url);
                _pages.RemoveFirst();
            }

            _snapshot = null;
            return true;
        }
    }

    /// <summary>False when the term was known already.</summary>
    public bool AddSearch(SearchTerm term)
    {
        lock (_lock)
        {
            if (!_terms.TryAdd(term.Term, term))
            {
                return false;
            }

            _snapshot = null;
            return true;
        }
    }

    public HistorySnapshot Snapshot()
    {
        lock (_lock)
        {
            return _snapshot ??= Build();
        }
    }

    private HistorySnapshot Build()
    {
        var patterns = new List<(string, HistoryTag, bool)>();
        foreach (var page in _pages)
        {
            foreach (var (text, description) in UrlVariants(page.Url))
            {
                if (text.Length >= MinPatternLength)
                {
                    patterns.Add((text, new HistoryTag(page, null, description), false));
                }
            }
        }

        foreach (var term in _terms.Values)
        {
            patterns.Add((term.Term, new HistoryTag(null, term, "search term"), false));
        }

        var sites = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var page in _pages)
        {
            sites[page.Site] = sites.TryGetValue(page.Site, out var first) && first < page.Time ? first : page.Time;
        }

        return new HistorySnapshot(new PatternSet<HistoryTag>(patterns), sites);
    }

    /// <summary>The forms a page URL takes in telemetry: whole, without scheme, without query, and hashed.</summary>
    public static IEnumerable<(string Text, string Description)> UrlVariants(string url)
    {
        yield return (url, "visited URL");
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var withoutScheme = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        yield return (withoutScheme, "visited URL without scheme");

        // Without the query, only when a path is left: "news.example/" alone would match every mention of the site.
        var queryStart = url.IndexOf('?');
        if (queryStart > 0 && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.AbsolutePath.Length > 1)
        {
            var withoutQuery = url[..queryStart];
            yield return (withoutQuery, "visited URL without query");
            yield return (withoutQuery[(schemeEnd + 3)..], "visited URL without scheme and query");
        }

        var bytes = Encoding.UTF8.GetBytes(url);
        yield return (Convert.ToHexStringLower(MD5.HashData(bytes)), "md5 of visited URL");
        yield return (Convert.ToHexStringLower(SHA1.HashData(bytes)), "sha1 of visited URL");
        yield return (Convert.ToHexStringLower(SHA256.HashData(bytes)), "sha256 of visited URL");
    }
}

/// <summary>An immutable view of a client's history for matching: safe to use while the history grows.</summary>
/// <param name="Sites">Each visited site, with when it was first visited.</param>
public sealed record HistorySnapshot(PatternSet<HistoryTag> Patterns, IReadOnlyDictionary<string, DateTimeOffset> Sites);

/// <summary>What a history pattern stands for: a page (with how it is written) or a search term.</summary>
public sealed record HistoryTag(VisitedPage? Page, SearchTerm? Term, string Description)
{
    private string? _explanation;

    public string Site => Page?.Site ?? Term!.Site;

    public DateTimeOffset Time => Page?.Time ?? Term!.Time;

    public object Group => (object?)Page ?? Term!;

    /// <summary>What a match of this pattern is evidence of, as a finding says it; formatted once, not per finding.</summary>
    public string Explanation => _explanation ??= Page is { } page
        ? $"{Description} ({page.Evidence} at {page.Time:HH:mm:ss})"
        : $"search term typed on {Term!.Site} (at {Term.Time:HH:mm:ss})";
}
