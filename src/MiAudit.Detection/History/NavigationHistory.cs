using System.Collections.Concurrent;
using MiAudit.Detection.Sites;
using MiAudit.Flows;

namespace MiAudit.Detection.History;

/// <summary>
/// What each client actually browsed: top-level navigations (Sec-Fetch-Mode: navigate with Sec-Fetch-Dest: document,
/// or for older clients an HTML GET with Upgrade-Insecure-Requests), pages seen in same-site Referer headers (single-page
/// apps change the URL without a navigation), and search terms. Learned from request heads, before responses, so a
/// page's own telemetry always finds its page already known.
/// </summary>
public sealed class NavigationHistory(PublicSuffixList sites, int maxPagesPerClient = 5000)
{
    private readonly ConcurrentDictionary<string, ClientHistory> _clients = new(StringComparer.Ordinal);

    public ClientHistory? For(string client) => _clients.GetValueOrDefault(client);

    /// <summary>Learns from one request (the response is not needed); true when it taught a page or search not known before.</summary>
    public bool Observe(Flow request)
    {
        if (request.Method is not ("GET" or "POST") || request.Transport is FlowTransport.PassthroughTls or FlowTransport.OpaqueTcp)
        {
            return false;
        }

        if (IsTopLevelNavigation(request) && Uri.TryCreate(request.Url, UriKind.Absolute, out var url))
        {
            var history = _clients.GetOrAdd(request.ClientAddress, _ => new ClientHistory(maxPagesPerClient));
            var learned = history.AddPage(new VisitedPage(request.Url, sites.RegistrableDomain(url.Host), request.StartedAt, "navigation"));
            if (SearchEngines.TermOf(url) is { Length: >= 3 } term)
            {
                learned |= history.AddSearch(new SearchTerm(term, sites.RegistrableDomain(url.Host), request.StartedAt));
            }

            return learned;
        }

        return request.RequestHeader("referer") is { } referer && Uri.TryCreate(referer, UriKind.Absolute, out var page)
            && page.PathAndQuery.Length > 1 && sites.SameSite(page.Host, request.Host)
            && _clients.GetOrAdd(request.ClientAddress, _ => new ClientHistory(maxPagesPerClient))
                .AddPage(new VisitedPage(referer, sites.RegistrableDomain(page.Host), request.StartedAt, "same-site Referer"));
    }

    public static bool IsTopLevelNavigation(Flow request)
    {
        var mode = request.RequestHeader("sec-fetch-mode");
        if (mode is not null)
        {
            return mode == "navigate" && request.RequestHeader("sec-fetch-dest") is null or "document";
        }

        return request.Method == "GET"
            && request.RequestHeader("accept")?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true
            && request.RequestHeader("upgrade-insecure-requests") == "1";
    }
}

/// <summary>A page a client visited, with how MiAudit knows.</summary>
public sealed record VisitedPage(string Url, string Site, DateTimeOffset Time, string Evidence);

/// <summary>A term a client searched for, and on which site.</summary>
public sealed record SearchTerm(string Term, string Site, DateTimeOffset Time);
