using System.CommandLine;
using System.Globalization;
using MiAudit.Detection.Findings;
using MiAudit.Storage;
using MiAudit.Storage.Reading;

namespace MiAudit.Cli.Options;

/// <summary>The filters of <c>findings</c>, <c>export</c> and <c>report</c>: session, rule, category, host, severity, time.</summary>
public sealed class FindingFilterOptions
{
    private readonly Option<string[]> _session = new("--session") { Description = "Session id or label (repeatable; default: all)", HelpName = "ID|LABEL" };
    private readonly Option<string?> _rule = new("--rule") { Description = "Only findings of this rule id", HelpName = "ID" };
    private readonly Option<string?> _category = new("--category") { Description = "Only this category: telemetry, url-leak, device-id, fingerprint, tracker, …", HelpName = "NAME" };
    private readonly Option<string?> _host = new("--host") { Description = "Only flows to this host ('*.example.com' for names below it)", HelpName = "HOST" };
    private readonly Option<string?> _minSeverity = new("--min-severity") { Description = "Only findings at or above: info, low, medium, high, critical", HelpName = "LEVEL" };
    private readonly Option<string?> _since = new("--since") { Description = "Only flows from this time on: ISO 8601 (2026-11-25T10:00Z) or an age (30m, 2h, 7d)", HelpName = "TIME" };
    private readonly Option<string?> _until = new("--until") { Description = "Only flows before this time (same forms as --since)", HelpName = "TIME" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _session, _rule, _category, _host, _minSeverity, _since, _until })
        {
            command.Options.Add(option);
        }
    }

    /// <exception cref="UsageException">A value cannot be understood, or a session does not exist.</exception>
    public FindingFilter Bind(ParseResult result, ISessionStore sessionStore, TimeProvider? clock = null)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var severity = result.GetValue(_minSeverity) is { } level
            ? SeverityNames.TryParse(level, out var parsed) ? parsed : throw new UsageException($"--min-severity '{level}': use info, low, medium, high or critical")
            : (Severity?)null;
        var sessions = new List<long>();
        foreach (var session in result.GetValue(_session) ?? [])
        {
            try
            {
                sessions.AddRange(sessionStore.Resolve(session));
            }
            catch (StorageException e)
            {
                throw new UsageException(e.Message);
            }
        }

        return new FindingFilter
        {
            SessionIds = sessions,
            RuleId = result.GetValue(_rule),
            Category = result.GetValue(_category),
            Host = result.GetValue(_host),
            MinSeverity = severity,
            Since = ParseTime(result.GetValue(_since), "--since", now),
            Until = ParseTime(result.GetValue(_until), "--until", now),
        };
    }

    public static DateTimeOffset? ParseTime(string? text, string option, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (text.Length >= 2 && char.IsAsciiDigit(text[0]) && text[^1] is 'm' or 'h' or 'd'
            && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            return now - (text[^1] switch { 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), _ => TimeSpan.FromDays(amount) });
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new UsageException($"{option} '{text}' is neither an ISO 8601 time nor an age such as 30m, 2h, 7d");
    }
}
