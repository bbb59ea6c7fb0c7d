using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Storage.Export;

namespace MiAudit.Cli.Run;

/// <summary>
/// Flagged flows as they happen, one line per finding (colour by severity on a terminal, plain when redirected),
/// and a summary line every few seconds while traffic flows.
/// </summary>
/// <param name="everyFlow">Also print a dim line for every flow that is not flagged (--verbose).</param>
public sealed class LiveView(TextWriter output, bool colour, string sessionLabel, bool mask, Severity threshold, bool everyFlow) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _flaggedByCategory = new(StringComparer.Ordinal);
    private Timer? _timer;
    private long _seen;
    private long _flagged;
    private long _seenAtLastSummary;

    public long Seen => Interlocked.Read(ref _seen);

    public long Flagged => Interlocked.Read(ref _flagged);

    public void StartSummaries(TimeSpan interval) => _timer = new Timer(_ => WriteSummary(onlyIfBusy: true), null, interval, interval);

    public void Report(Flow flow, FlowAnalysis analysis)
    {
        Interlocked.Increment(ref _seen);
        var shown = analysis.Findings.Where(f => f.Severity >= threshold).ToList();
        if (shown.Count == 0)
        {
            if (everyFlow)
            {
                var line = $"{flow.StartedAt.ToLocalTime():HH:mm:ss} [{sessionLabel}] {flow.Method} {Clip(flow.Url, 120)} → {flow.StatusCode?.ToString() ?? "-"}{(flow.Error is null ? "" : $" ({flow.Error.Kind})")}";
                lock (_lock)
                {
                    output.WriteLine(colour ? $"\u001b[2m{line}\u001b[0m" : line);
                }
            }

            return;
        }

        Interlocked.Increment(ref _flagged);
        lock (_lock)
        {
            foreach (var category in shown.Select(f => f.Category).Distinct())
            {
                _flaggedByCategory[category] = _flaggedByCategory.GetValueOrDefault(category) + 1;
            }

            foreach (var finding in shown)
            {
                var value = Clip(ValueMasking.Apply(finding.Category, finding.Value, mask), 80);
                var line = $"{flow.StartedAt.ToLocalTime():HH:mm:ss} [{sessionLabel}] {finding.Severity.ToName().ToUpperInvariant(),-8} {flow.Host} {finding.RuleId}: {value}  at {finding.LeafPath}";
                output.WriteLine(colour ? $"{Colour(finding.Severity)}{line}\u001b[0m" : line);
            }
        }
    }

    public void WriteSummary(bool onlyIfBusy = false)
    {
        lock (_lock)
        {
            var seen = Seen;
            if (onlyIfBusy && seen == _seenAtLastSummary)
            {
                return;
            }

            _seenAtLastSummary = seen;
            var categories = _flaggedByCategory.Count == 0 ? "" : " (" + string.Join(", ", _flaggedByCategory.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")) + ")";
            output.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} [{sessionLabel}] {seen} flows seen, {Flagged} flagged{categories}");
        }
    }

    public void Dispose() => _timer?.Dispose();

    private static string Colour(Severity severity) => severity switch
    {
        Severity.Critical => "\u001b[1;35m",
        Severity.High => "\u001b[1;31m",
        Severity.Medium => "\u001b[33m",
        Severity.Low => "\u001b[36m",
        _ => "\u001b[2m",
    };

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
