using System.Globalization;
using Microsoft.AspNetCore.Http;
using MiAudit.Detection.Findings;
using MiAudit.Storage;
using MiAudit.Storage.Reading;

namespace MiAudit.Ui.Api;

/// <summary>
/// The list's filters as URL parameters, so a view can be bookmarked and shared: <c>session</c> (id or label,
/// repeatable), <c>host</c> (<c>*.example.com</c> for names below it), <c>category</c>, <c>severity</c> (at or above),
/// <c>site</c> (a domain and the names below it), <c>rule</c>, <c>method</c>, <c>status</c>, <c>since</c>, <c>until</c> (ISO 8601), <c>q</c> (text anywhere in the request,
/// decoded layers included), and <c>before</c>/<c>after</c> (row ids) for paging.
/// </summary>
internal sealed record FlowRequestQuery(FlowPageQuery Page, string? Text)
{
    /// <exception cref="FormatException">A parameter that cannot be understood (said to the user as 400).</exception>
    public static FlowRequestQuery Parse(IQueryCollection query, ISessionStore sessions)
    {
        var ids = new List<long>();
        foreach (var session in query["session"])
        {
            if (!string.IsNullOrEmpty(session))
            {
                try
                {
                    ids.AddRange(sessions.Resolve(session));
                }
                catch (StorageException e)
                {
                    throw new FormatException(e.Message);
                }
            }
        }

        Severity? severity = One(query, "severity") is { } level
            ? SeverityNames.TryParse(level, out var parsed) ? parsed : throw new FormatException($"severity '{level}': use info, low, medium, high or critical")
            : null;
        var filter = new FindingFilter
        {
            SessionIds = ids,
            Host = One(query, "host"),
            Site = One(query, "site"),
            RuleId = One(query, "rule"),
            Category = One(query, "category"),
            MinSeverity = severity,
            Since = Time(query, "since"),
            Until = Time(query, "until"),
        };
        return new FlowRequestQuery(new FlowPageQuery
        {
            Filter = filter,
            Method = One(query, "method")?.ToUpperInvariant(),
            Status = Number(query, "status") is { } status ? (int)status : null,
            BeforeId = Number(query, "before"),
            AfterId = Number(query, "after"),
            Limit = Number(query, "limit") is { } limit ? (int)Math.Clamp(limit, 1, 500) : 100,
        }, One(query, "q"));
    }

    private static string? One(IQueryCollection query, string name) =>
        query[name].LastOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    private static long? Number(IQueryCollection query, string name) => One(query, name) is { } text
        ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException($"{name} '{text}' is not a number")
        : null;

    private static DateTimeOffset? Time(IQueryCollection query, string name) => One(query, name) is { } text
        ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : throw new FormatException($"{name} '{text}' is not an ISO 8601 time")
        : null;
}
