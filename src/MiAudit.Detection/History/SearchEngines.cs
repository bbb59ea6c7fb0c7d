using MiAudit.Flows;

namespace MiAudit.Detection.History;

/// <summary>Which query parameter carries the search term on well-known search engines, with a generic fallback.</summary>
public static class SearchEngines
{
    private static readonly (HostPattern[] Hosts, string[] Parameters)[] Known =
    [
        (Hosts("google.com", "*.google.com", "*.google.co.uk", "*.google.de", "*.google.fr", "*.google.co.in", "*.google.com.hk"), ["q"]),
        (Hosts("bing.com", "*.bing.com"), ["q"]),
        (Hosts("duckduckgo.com", "*.duckduckgo.com"), ["q"]),
        (Hosts("search.yahoo.com", "*.search.yahoo.com"), ["p"]),
        (Hosts("baidu.com", "*.baidu.com"), ["wd", "word"]),
        (Hosts("yandex.ru", "*.yandex.ru", "yandex.com", "*.yandex.com"), ["text"]),
        (Hosts("sogou.com", "*.sogou.com"), ["query"]),
        (Hosts("so.com", "*.so.com", "sm.cn", "*.sm.cn"), ["q"]),
        (Hosts("search.naver.com"), ["query"]),
        (Hosts("ecosia.org", "*.ecosia.org", "qwant.com", "*.qwant.com", "search.brave.com"), ["q"]),
        (Hosts("startpage.com", "*.startpage.com"), ["query"]),
        (Hosts("youtube.com", "*.youtube.com"), ["search_query"]),
    ];

    // Elsewhere: a path mentioning "search" and one of these parameters (site search boxes, Mi Browser's own pages).
    private static readonly string[] GenericParameters = ["q", "query", "keyword", "keywords", "search", "term", "wd", "text", "s"];

    /// <summary>The search term of a navigation URL, or null when it is not a search.</summary>
    public static string? TermOf(Uri url)
    {
        var parameters = Decoding.FormEncoding.Parse(url.Query).ToList();
        foreach (var (hosts, names) in Known)
        {
            if (hosts.Any(h => h.Matches(url.Host)))
            {
                return First(parameters, names);
            }
        }

        return url.AbsolutePath.Contains("search", StringComparison.OrdinalIgnoreCase) ? First(parameters, GenericParameters) : null;
    }

    private static string? First(List<KeyValuePair<string, string>> parameters, string[] names)
    {
        foreach (var name in names)
        {
            var value = parameters.FirstOrDefault(p => p.Key == name).Value?.Trim();
            if (!string.IsNullOrEmpty(value))
            {
                return value;
            }
        }

        return null;
    }

    private static HostPattern[] Hosts(params string[] patterns) => patterns.Select(p => new HostPattern(p)).ToArray();
}
