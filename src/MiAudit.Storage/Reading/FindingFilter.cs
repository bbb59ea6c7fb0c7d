using MiAudit.Detection.Findings;
using System.Data.Common;
using MiAudit.Storage.Sql;

namespace MiAudit.Storage.Reading;

/// <summary>Which findings (and their flows) a command looks at; every part is optional.</summary>
public sealed record FindingFilter
{
    public IReadOnlyList<long> SessionIds { get; init; } = [];

    public string? RuleId { get; init; }

    public string? Category { get; init; }

    /// <summary>Exact host, or <c>*.example.com</c> for names below it.</summary>
    public string? Host { get; init; }

    /// <summary>A site: the host itself and every name below it (a registrable domain, as reports group them).</summary>
    public string? Site { get; init; }

    public Severity? MinSeverity { get; init; }

    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    /// <summary>Conditions on <c>flows f</c>, with their parameters added to <paramref name="command"/>.</summary>
    internal List<string> FlowConditions(DbCommand command, SqlDialect dialect)
    {
        var conditions = new List<string>();
        if (SessionIds.Count > 0)
        {
            conditions.Add($"f.session_id IN ({string.Join(',', SessionIds)})");
        }

        if (Host is { } host)
        {
            if (host.StartsWith("*.", StringComparison.Ordinal))
            {
                conditions.Add("lower(f.host) LIKE lower(@host) ESCAPE '\\'");
                dialect.Add(command, "@host", "%" + SqlLike.Literal(host[1..]));
            }
            else
            {
                conditions.Add(dialect.EqualsIgnoringCase("f.host", "@host"));
                dialect.Add(command, "@host", host);
            }
        }

        if (Site is { } site)
        {
            conditions.Add($"({dialect.EqualsIgnoringCase("f.host", "@site")} OR lower(f.host) LIKE lower(@below) ESCAPE '\\')");
            dialect.Add(command, "@site", site);
            dialect.Add(command, "@below", "%." + SqlLike.Literal(site));
        }

        if (Since is { } since)
        {
            conditions.Add("f.started_at >= @since");
            dialect.Add(command, "@since", since);
        }

        if (Until is { } until)
        {
            conditions.Add("f.started_at < @until");
            dialect.Add(command, "@until", until);
        }

        return conditions;
    }

    /// <summary>
    /// Conditions on <c>flows f</c> that select the filter's flows: its flow conditions, and with finding conditions
    /// only flows that have a matching finding.
    /// </summary>
    internal List<string> SelectedFlowConditions(DbCommand command, SqlDialect dialect)
    {
        var conditions = FlowConditions(command, dialect);
        var findingConditions = FindingConditions(command, dialect);
        if (findingConditions.Count > 0)
        {
            conditions.Add($"EXISTS (SELECT 1 FROM findings x WHERE x.flow_id = f.id AND {And(findingConditions)})");
        }

        return conditions;
    }

    /// <summary>Conditions on <c>findings x</c>, with their parameters added to <paramref name="command"/>.</summary>
    internal List<string> FindingConditions(DbCommand command, SqlDialect dialect)
    {
        var conditions = new List<string>();
        if (RuleId is { } rule)
        {
            conditions.Add("x.rule_id = @rule");
            dialect.Add(command, "@rule", rule);
        }

        if (Category is { } category)
        {
            conditions.Add("x.category = @category");
            dialect.Add(command, "@category", category);
        }

        if (MinSeverity is { } severity)
        {
            conditions.Add("x.severity >= @severity");
            dialect.Add(command, "@severity", (int)severity);
        }

        return conditions;
    }

    internal static string And(IEnumerable<string> conditions) =>
        conditions.Any() ? string.Join(" AND ", conditions) : "1 = 1";
}
