using MiAudit.Detection.Decoding;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Reading;
using MiAudit.Ui.Search;

namespace MiAudit.Ui.Api;

/// <summary>
/// Finds flows whose request holds a text anywhere: the request line, a header, or any decoded leaf — so a URL that
/// exists only inside <c>base64(gzip(JSON))</c> finds its flow. Flows the search index covers are found through it
/// (and each candidate is checked against the stored flow, so an index entry that outlived its flow finds nothing);
/// flows it does not cover yet are decoded as detection does, at most <see cref="ScanBudget"/> per call. The answer
/// says where it stopped, and the view offers to search further back from there.
/// </summary>
internal static class FlowSearch
{
    public const int ScanBudget = 2_000;

    public static (List<FlowSummary> Matches, long? ContinueBefore, int Scanned) Run(IAuditQueries queries, FlowRequestQuery query, SearchIndexer? indexer)
    {
        if (indexer is null)
        {
            return Scan(queries, query);
        }

        var (low, high) = indexer.Coverage;
        var before = query.Page.BeforeId ?? long.MaxValue;
        var matches = new List<FlowSummary>();
        var scanned = 0;
        if (before > high + 1)
        {
            // Newer than the index: scan down to it.
            var (found, next, count) = Scan(queries, query with { Page = query.Page with { BeforeId = before, AfterId = high } });
            matches.AddRange(found);
            scanned += count;
            if (next is not null || matches.Count >= query.Page.Limit)
            {
                return (matches, next ?? matches[^1].RowId, scanned);
            }

            before = high + 1;
        }

        if (before > low)
        {
            var wanted = query.Page.Limit - matches.Count;
            var candidates = indexer.Index.Search(query.Text!, before, wanted);
            var page = queries.FlowPage(query.Page with { Ids = candidates, BeforeId = null, AfterId = null, Limit = Math.Max(candidates.Count, 1) });
            matches.AddRange(page.Where(f => queries.FlowById(f.RowId) is { } stored && Holds(stored.Flow, query.Text!)));
            if (candidates.Count == wanted)
            {
                return (matches, candidates[^1], scanned);
            }

            if (low <= 1 || matches.Count >= query.Page.Limit)
            {
                return (matches, low <= 1 ? null : low, scanned);
            }

            before = low;
        }

        // Older than what is indexed so far: decoded as it goes.
        var (older, continueBefore, scannedOlder) = Scan(queries, query with { Page = query.Page with { BeforeId = before } });
        matches.AddRange(older.Take(query.Page.Limit - matches.Count));
        return (matches, continueBefore, scanned + scannedOlder);
    }

    /// <summary>Decodes flows newest first (below BeforeId, above AfterId), at most <see cref="ScanBudget"/>.</summary>
    private static (List<FlowSummary> Matches, long? ContinueBefore, int Scanned) Scan(IAuditQueries queries, FlowRequestQuery query)
    {
        var text = query.Text!;
        var matches = new List<FlowSummary>();
        var before = query.Page.BeforeId;
        var scanned = 0;
        while (scanned < ScanBudget && matches.Count < query.Page.Limit)
        {
            var page = queries.FlowPage(query.Page with { BeforeId = before, Limit = 200 });
            if (page.Count == 0)
            {
                return (matches, null, scanned);
            }

            foreach (var summary in page)
            {
                scanned++;
                before = summary.RowId;
                if (queries.FlowById(summary.RowId) is { } stored && Holds(stored.Flow, text))
                {
                    matches.Add(summary);
                    if (matches.Count == query.Page.Limit)
                    {
                        break;
                    }
                }
            }
        }

        return (matches, before, scanned);
    }

    /// <summary>Whether the request shows the text in its line, a header, or a decoded leaf (ignoring case).</summary>
    public static bool Holds(Flow flow, string text)
    {
        if (Contains(flow.Method + " " + flow.Url, text) || flow.RequestHeaders.Any(h => Contains(h.Name + ": " + h.Value, text)))
        {
            return true;
        }

        return RequestDecoder.Decode(flow).Leaves.Any(leaf => Contains(leaf.Text, text));
    }

    private static bool Contains(string haystack, string needle) => haystack.Contains(needle, StringComparison.OrdinalIgnoreCase);
}
