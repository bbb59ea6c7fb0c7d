using System.Threading.Channels;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Masking;
using MiAudit.Flows;

namespace MiAudit.Cli.Run;

/// <summary>
/// Flagged flows as they happen, one line per finding (colour by severity on a terminal, plain when redirected), and a
/// summary line every interval (10 s in <c>run</c>), idle or not. Lines are written by a background loop at a readable rate —
/// a burst of telemetry must not slow the proxy down to the speed of a terminal; what is not shown is counted, and
/// every finding is in the store regardless.
/// </summary>
public sealed class LiveView : IAsyncDisposable
{
    private const int LinesPerSecond = 40;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private readonly TextWriter _output;
    private readonly bool _colour;
    private readonly string _sessionLabel;
    private readonly MaskingPolicy _masking;
    private readonly Severity _threshold;
    private readonly LiveDetail _detail;
    private readonly Channel<Line> _pending = Channel.CreateBounded<Line>(2 * LinesPerSecond);
    private readonly Dictionary<string, long> _flaggedByCategory = new(StringComparer.Ordinal);
    private readonly Lock _countsLock = new();
    private readonly CancellationTokenSource _stop = new(); // not disposed: the loop may still observe it at exit
    private readonly Task _loop;
    private readonly TimeSpan _summaryInterval;
    private long _seen;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, HashSet<string>> _shownWhileRunning = new();
    private long _flagged;
    private long _notShown;

    public LiveView(TextWriter output, bool colour, string sessionLabel, MaskingPolicy masking, Severity threshold, LiveDetail detail, TimeSpan summaryInterval)
    {
        _output = output;
        _colour = colour;
        _sessionLabel = sessionLabel;
        _masking = masking;
        _threshold = threshold;
        _detail = detail;
        _summaryInterval = summaryInterval;
        _loop = Task.Run(RunAsync);
    }

    public long Seen => Interlocked.Read(ref _seen);

    public long Flagged => Interlocked.Read(ref _flagged);

    /// <summary>Counts the flow and queues its lines; never blocks.</summary>
    public void Report(Flow flow, FlowAnalysis analysis)
    {
        if (flow.InProgress)
        {
            // A long-lived exchange still running: show what is new since its last snapshot, count it when it ends.
            var shownBefore = _shownWhileRunning.GetOrAdd(flow.Id, _ => []);
            lock (shownBefore)
            {
                foreach (var finding in analysis.Findings.Where(f => f.Severity >= _threshold && _detail != LiveDetail.Summaries))
                {
                    if (shownBefore.Add(FindingKey(finding)))
                    {
                        Queue(flow, finding);
                    }
                }
            }

            return;
        }

        var alreadyShown = _shownWhileRunning.TryRemove(flow.Id, out var shownRunning) ? shownRunning : null;
        Interlocked.Increment(ref _seen);
        if (flow.NotDecrypted && _detail != LiveDetail.Summaries && FirstNotDecrypted($"{flow.Host} {flow.Error?.Kind}"))
        {
            Queue(flow, null, $"not decrypted: {flow.Error?.Message ?? flow.Transport.ToString()}");
        }

        var shown = analysis.Findings.Where(f => f.Severity >= _threshold).ToList();
        if (shown.Count == 0)
        {
            if (_detail == LiveDetail.EveryFlow)
            {
                Queue(flow, null);
            }

            return;
        }

        CountFlagged(shown.Select(f => f.Category).Distinct(), newlyFlagged: true);
        foreach (var finding in _detail == LiveDetail.Summaries ? [] : shown)
        {
            if (alreadyShown is null || !alreadyShown.Contains(FindingKey(finding)))
            {
                Queue(flow, finding);
            }
        }
    }

    /// <summary>
    /// A finished flow analysed again after a page visited later made it a leak: shows the findings it did not have
    /// before, and counts it (and its new categories) as flagged if it was not.
    /// </summary>
    public void ReportRevised(Flow flow, FlowAnalysis before, FlowAnalysis after)
    {
        var shownBefore = before.Findings.Where(f => f.Severity >= _threshold).ToList();
        var known = shownBefore.Select(FindingKey).ToHashSet(StringComparer.Ordinal);
        var added = after.Findings.Where(f => f.Severity >= _threshold && !known.Contains(FindingKey(f))).ToList();
        if (added.Count == 0)
        {
            return;
        }

        var categoriesBefore = shownBefore.Select(f => f.Category).ToHashSet(StringComparer.Ordinal);
        CountFlagged(added.Select(f => f.Category).Distinct().Where(c => !categoriesBefore.Contains(c)), newlyFlagged: shownBefore.Count == 0);
        foreach (var finding in _detail == LiveDetail.Summaries ? [] : added)
        {
            Queue(flow, finding);
        }
    }

    private void CountFlagged(IEnumerable<string> categories, bool newlyFlagged)
    {
        if (newlyFlagged)
        {
            Interlocked.Increment(ref _flagged);
        }

        lock (_countsLock)
        {
            foreach (var category in categories)
            {
                _flaggedByCategory[category] = _flaggedByCategory.GetValueOrDefault(category) + 1;
            }
        }
    }

    private static string FindingKey(Finding finding) => $"{finding.RuleId}\n{finding.Value}\n{finding.LeafPath}";

    /// <summary>Writes the summary line now (at stop).</summary>
    public void WriteSummary()
    {
        lock (_output)
        {
            _output.WriteLine(SummaryLine());
            _output.Flush();
        }
    }

    /// <summary>True the first time a host goes undecrypted (refused, or relayed) in this session: said once, not per connection.</summary>
    private bool FirstNotDecrypted(string hostAndKind)
    {
        lock (_notDecryptedHosts)
        {
            return _notDecryptedHosts.Add(hostAndKind);
        }
    }

    private void Queue(Flow flow, Finding? finding, string? note = null)
    {
        // Only what the line shows is kept: a queued flow would hold its captured bodies.
        var line = new Line(flow.StartedAt, flow.Method, flow.Host, flow.Url, flow.StatusCode, note ?? flow.Error?.Kind, finding);
        if (!_pending.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _notShown);
        }
    }

    private async Task RunAsync()
    {
        var nextSummary = DateTime.UtcNow + _summaryInterval;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(Tick, _stop.Token);
                WritePending((int)(LinesPerSecond * Tick.TotalSeconds));
                // On a fixed schedule, idle or not: "0 flows seen" tells the researcher the phone is not reaching the proxy.
                if (DateTime.UtcNow >= nextSummary)
                {
                    nextSummary += _summaryInterval;
                    if (nextSummary <= DateTime.UtcNow)
                    {
                        nextSummary = DateTime.UtcNow + _summaryInterval; // fell behind (a stalled terminal): no burst of catch-up lines
                    }

                    WriteSummary();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        WritePending(int.MaxValue);
    }

    private void WritePending(int budget)
    {
        lock (_output)
        {
            var written = 0;
            while (written < budget && _pending.Reader.TryRead(out var item))
            {
                _output.WriteLine(item.Finding is null ? FlowLine(item) : FindingLine(item, item.Finding));
                written++;
            }

            var notShown = Interlocked.Exchange(ref _notShown, 0);
            if (notShown > 0)
            {
                _output.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} [{_sessionLabel}] … {notShown} more lines not shown (too many to read); every finding is stored: miaudit findings");
            }

            if (written > 0 || notShown > 0)
            {
                _output.Flush();
            }
        }
    }

    private string FindingLine(Line flow, Finding finding)
    {
        var value = Clip(_masking.Value(finding.Category, finding.Value), 80);
        var line = $"{flow.StartedAt.ToLocalTime():HH:mm:ss} [{_sessionLabel}] {finding.Severity.ToName().ToUpperInvariant(),-8} {flow.Host} {finding.RuleId}: {value}  at {finding.LeafPath}";
        return _colour ? $"{Colour(finding.Severity)}{line}\u001b[0m" : line;
    }

    private string FlowLine(Line flow)
    {
        var line = $"{flow.StartedAt.ToLocalTime():HH:mm:ss} [{_sessionLabel}] {flow.Method} {Clip(_masking.Text(flow.Url), 120)} → {flow.StatusCode?.ToString() ?? "-"}{(flow.ErrorKind is null ? "" : $" ({flow.ErrorKind})")}";
        return _colour ? $"\u001b[2m{line}\u001b[0m" : line;
    }

    private string SummaryLine()
    {
        lock (_countsLock)
        {
            var categories = _flaggedByCategory.Count == 0 ? "" : " (" + string.Join(", ", _flaggedByCategory.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")) + ")";
            return $"{DateTimeOffset.Now:HH:mm:ss} [{_sessionLabel}] {Seen} flows seen, {Flagged} flagged{categories}";
        }
    }

    private static string Colour(Severity severity) => severity switch
    {
        Severity.Critical => "\u001b[1;35m",
        Severity.High => "\u001b[1;31m",
        Severity.Medium => "\u001b[33m",
        Severity.Low => "\u001b[36m",
        _ => "\u001b[2m",
    };

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private readonly HashSet<string> _notDecryptedHosts = new(StringComparer.OrdinalIgnoreCase);

    private sealed record Line(DateTimeOffset StartedAt, string Method, string Host, string Url, int? StatusCode, string? ErrorKind, Finding? Finding);

    /// <summary>Writes what is still queued and stops the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop;
    }
}

/// <summary>How much the live view prints besides the periodic summary line.</summary>
public enum LiveDetail
{
    /// <summary>Summary lines only (--quiet).</summary>
    Summaries,

    /// <summary>A line per finding of a flagged flow (the default).</summary>
    Findings,

    /// <summary>Also a dim line for every flow that is not flagged (--verbose).</summary>
    EveryFlow,
}
