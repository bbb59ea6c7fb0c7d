using System.Globalization;
using System.Net;
using System.Text;

namespace MiAudit.Reporting.Html;

/// <summary>
/// The timeline as inline SVG: one stacked bar per bucket, one colour per category, a tooltip per segment. Drawn here
/// rather than by a charting script so the report opens offline and prints as it looks.
/// </summary>
internal static class TimelineSvg
{
    private const int Width = 960;
    private const int Height = 240;
    private const int Left = 48;
    private const int Right = 12;
    private const int Top = 12;
    private const int Bottom = 36;
    private const int XLabels = 8;
    private const int MaxBarWidth = 48;

    public static string Render(ReportTimeline timeline)
    {
        var buckets = timeline.Buckets;
        var svg = new StringBuilder();
        var total = buckets.Sum(b => b.Total);
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {Width} {Height}" role="img" class="timeline" data-buckets="{buckets.Count}" data-total="{total}" aria-label="Flagged flows per {ReportText.Bucket(timeline.BucketSize)} by category">""");
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var max = Math.Max(1, buckets.Count == 0 ? 1 : buckets.Max(b => b.Total));

        // Axes and the y scale: zero, half and the maximum.
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" y1="{Top + plotHeight}" x2="{Width - Right}" y2="{Top + plotHeight}" class="axis"/>""");
        foreach (var value in new[] { 0, max / 2, max }.Distinct())
        {
            var y = Top + plotHeight - (plotHeight * value / (double)max);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" y1="{y:0.#}" x2="{Width - Right}" y2="{y:0.#}" class="grid"/><text x="{Left - 6}" y="{y + 4:0.#}" text-anchor="end">{value}</text>""");
        }

        var slot = buckets.Count == 0 ? plotWidth : plotWidth / (double)buckets.Count;
        var barWidth = Math.Clamp(slot * 0.8, 1, MaxBarWidth); // a short audit still reads as bars, not a wall
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = buckets[i];
            var x = Left + (i * slot) + ((slot - barWidth) / 2);
            var y = (double)(Top + plotHeight);
            foreach (var category in timeline.Categories)
            {
                if (bucket.FlaggedFlowsByCategory.GetValueOrDefault(category) is var count && count == 0)
                {
                    continue;
                }

                var height = plotHeight * count / (double)max;
                y -= height;
                var tooltip = $"{ReportText.BucketStart(bucket.Start, timeline)} UTC — {category}: {count} flagged flow{(count == 1 ? "" : "s")}";
                svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{x:0.##}" y="{y:0.##}" width="{barWidth:0.##}" height="{height:0.##}" fill="{CategoryColours.For(category)}"><title>{WebUtility.HtmlEncode(tooltip)}</title></rect>""");
            }
        }

        // Time labels: at most XLabels of them, evenly spread, always the first bucket.
        var step = Math.Max(1, (int)Math.Ceiling(buckets.Count / (double)XLabels));
        for (var i = 0; i < buckets.Count; i += step)
        {
            var x = Left + (i * slot) + (slot / 2);
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x:0.#}" y="{Height - Bottom + 16}" text-anchor="middle">{ReportText.BucketStart(buckets[i].Start, timeline)}</text>""");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width - Right}" y="{Height - 4}" text-anchor="end" class="caption">time (UTC), bars per {ReportText.Bucket(timeline.BucketSize)}</text>""");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
