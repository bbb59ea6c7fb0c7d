using MiAudit.Detection.Decoding;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Reading;

namespace MiAudit.Ui.Api;

/// <summary>
/// Finds flows whose request holds a text anywhere: the request line, a header, or any decoded leaf — so a URL that
/// exists only inside <c>base64(gzip(JSON))</c> finds its flow. It walks back from the newest flow, decoding each
/// request as detection does, for at most <see cref="ScanBudget"/> flows per call; the answer says where it stopped,
/// and the view offers to search further back from there.
/// </summary>
internal static class FlowSearch
{
    public const int ScanBudget = 2_000;

    public static (List<FlowSummary> Matches, long? ContinueBefore, int Scanned) Run(IAuditQueries queries, FlowRequestQuery query)
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
