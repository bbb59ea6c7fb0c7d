using System.Buffers;
using MiAudit.Detection.Decoding;
using MiAudit.Detection.History;
using MiAudit.Detection.Matching;
using MiAudit.Detection.Rules;
using MiAudit.Detection.Sites;

namespace MiAudit.Detection.Detectors;

/// <summary>
/// Flags a request to one site that carries pages or searches the client made on another site: the visited URLs in
/// any decoded form (and hashed), URLs of visited sites' pages (single-page apps), search terms, and — separately and
/// low — a full page URL in the Referer header.
/// </summary>
/// <param name="visitWindow">
/// A visit counts for requests that ended up to this long before it: a browser's typed-URL telemetry can reach the
/// proxy before the navigation it reports. Live, the pipeline re-checks recent flows when a visit is learned.
/// </param>
public sealed class UrlLeakDetector(RuleSet rules, NavigationHistory history, PublicSuffixList sites, TimeSpan visitWindow) : IDetector
{
    // Vectorised and case-insensitive; string.IndexOf with OrdinalIgnoreCase goes char by char under invariant globalization.
    private static readonly SearchValues<string> Http = SearchValues.Create(["http"], StringComparison.OrdinalIgnoreCase);

    private static readonly SearchValues<char> UrlEnd = SearchValues.Create(" \"'<>\n\r\t,|");

    private static readonly string[] StaticAssetExtensions =
        [".js", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".woff", ".woff2", ".ttf", ".mp4", ".webm", ".map", ".json"];

    private readonly Rule? _visited = rules.Enabled(RuleKind.VisitedUrl).FirstOrDefault();
    private readonly Rule? _search = rules.Enabled(RuleKind.SearchTerm).FirstOrDefault();
    private readonly Rule? _referer = rules.Enabled(RuleKind.RefererUrl).FirstOrDefault();

    public void Detect(DetectionContext context)
    {
        DetectReferer(context);
        if ((_visited is null && _search is null) || history.For(context.Flow.ClientAddress) is not { } client)
        {
            return;
        }

        var snapshot = client.Snapshot();
        var latestVisit = context.Flow.CompletedAt + visitWindow;
        Func<string, PatternMatch<HistoryTag>, bool> leaked = (text, m) => m.Tag.Site != context.Site && m.Tag.Time <= latestVisit
            && (m.Tag.Term is null ? Boundaries.Url(text, m.Start, m.End) : Boundaries.Alphanumeric(text, m.Start, m.End));
        foreach (var leaf in context.Values)
        {
            if (IsRefererHeader(leaf.Path))
            {
                continue; // the Referer header is judged by referer-url-leak alone
            }

            List<int>? reported = null; // where visited URLs were found, so no page-of-visited-site finding repeats them
            var matches = snapshot.Patterns.Find(leaf.Text, leaked, static tag => tag.Group);
            foreach (var match in matches)
            {
                var snippet = Snippet.Around(leaf.Text, match.Start, match.Length);
                if (match.Tag.Page is not null && _visited is not null)
                {
                    if (reported?.Contains(match.Start) == true)
                    {
                        continue; // the same text matched another visit's shorter form (?ref=run1, ?ref=run2 …): one finding
                    }

                    (reported ??= []).Add(match.Start);
                    var (value, explanation) = Evidence(leaf.Text, Best(matches, match));
                    context.Add(_visited, value, explanation, leaf.Path, snippet);
                }
                else if (match.Tag.Term is { } term && _search is not null)
                {
                    context.Add(_search, term.Term, match.Tag.Explanation, leaf.Path, snippet);
                }
            }

            if (_visited is not null && leaf.Text.AsSpan().ContainsAny(Http))
            {
                DetectPagesOfVisitedSites(context, leaf, snapshot, reported, latestVisit);
            }
        }
    }

    /// <summary>
    /// Of the visits whose forms matched this same text, the one it proves best: the visit whose URL is the text (a
    /// form of the whole URL), else the latest. Pages of one path with other queries all match the form without query.
    /// </summary>
    private static PatternMatch<HistoryTag> Best(List<PatternMatch<HistoryTag>> matches, PatternMatch<HistoryTag> first)
    {
        var best = first;
        foreach (var other in matches)
        {
            if (other.Start != first.Start || other.End != first.End || other.Tag.Page is null)
            {
                continue;
            }

            var (bestWhole, otherWhole) = (IsWholeUrlForm(best.Tag), IsWholeUrlForm(other.Tag));
            if ((otherWhole && !bestWhole) || (otherWhole == bestWhole && other.Tag.Time > best.Tag.Time))
            {
                best = other;
            }
        }

        return best;
    }

    private static bool IsWholeUrlForm(HistoryTag tag) => !tag.Description.Contains("without query", StringComparison.Ordinal);

    /// <summary>
    /// The finding's value is what the request carried: the URL as it stands in the text (never another visit's URL
    /// that shares its path), or, for a hash, the visited URL the hash is of. The explanation names the visit.
    /// </summary>
    private static (string Value, string Explanation) Evidence(string text, PatternMatch<HistoryTag> match)
    {
        var page = match.Tag.Page!;
        if (match.Tag.Description.StartsWith("md5", StringComparison.Ordinal) || match.Tag.Description.StartsWith("sha", StringComparison.Ordinal))
        {
            return (page.Url, match.Tag.Explanation);
        }

        var end = text.AsSpan(match.Start).IndexOfAny(UrlEnd);
        var present = end < 0 ? text[match.Start..] : text.Substring(match.Start, end);
        var sameAsVisit = present.Length == match.Length && IsWholeUrlForm(match.Tag);
        return (present, sameAsVisit ? match.Tag.Explanation : $"{match.Tag.Explanation}: {page.Url}");
    }

    /// <summary>A page URL of a site the client visited, even when that exact URL never came as a navigation (SPA routes).</summary>
    private void DetectPagesOfVisitedSites(DetectionContext context, Leaf leaf, HistorySnapshot snapshot, List<int>? reported, DateTimeOffset latestVisit)
    {
        var text = leaf.Text;
        for (var at = NextHttp(text, 0); at >= 0; at = NextHttp(text, at + 4))
        {
            if (reported?.Contains(at) == true)
            {
                continue;
            }

            var end = text.AsSpan(at).IndexOfAny(UrlEnd);
            var candidate = end < 0 ? text[at..] : text.Substring(at, end);
            if (!Uri.TryCreate(candidate, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
                || url.PathAndQuery.Length <= 1 || IsStaticAsset(url.AbsolutePath))
            {
                continue;
            }

            var site = sites.RegistrableDomain(url.Host);
            if (site != context.Site && snapshot.Sites.TryGetValue(site, out var firstVisit) && firstVisit <= latestVisit)
            {
                context.Add(_visited!, candidate, $"page URL on visited site {site}", leaf.Path, Snippet.Around(text, at, candidate.Length));
            }
        }
    }

    private void DetectReferer(DetectionContext context)
    {
        if (_referer is null || context.Flow.RequestHeader("referer") is not { } referer
            || !Uri.TryCreate(referer, UriKind.Absolute, out var page) || page.PathAndQuery.Length <= 1
            || sites.SameSite(page.Host, context.Flow.Host))
        {
            return;
        }

        context.Add(_referer, referer, "full URL of the page in the Referer header", LeafPath.Root("header", "Referer"), Snippet.Clip(referer));
    }

    private static int NextHttp(string text, int from)
    {
        var at = text.AsSpan(from).IndexOfAny(Http);
        return at < 0 ? -1 : from + at;
    }

    private static bool IsRefererHeader(LeafPath path) =>
        path.LocationKind == "header" && string.Equals(path.LocationName, "Referer", StringComparison.OrdinalIgnoreCase);

    private static bool IsStaticAsset(string path) => StaticAssetExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
}
