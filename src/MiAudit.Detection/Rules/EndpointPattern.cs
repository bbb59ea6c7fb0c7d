using System.Text.RegularExpressions;
using MiAudit.Flows;

namespace MiAudit.Detection.Rules;

/// <summary>
/// The shape of a telemetry request: any of the hosts (none = any host), a path, methods, and parameter groups —
/// each group a list of alternatives of which at least one must be present in the query or form body.
/// </summary>
public sealed record EndpointPattern(
    IReadOnlyList<TextPattern> Hosts,
    TextPattern? Path,
    IReadOnlyList<string> Methods,
    IReadOnlyList<IReadOnlyList<string>> ParameterGroups)
{
    public bool MatchesHost(string host)
    {
        if (Hosts.Count == 0)
        {
            return true;
        }

        // Once per request, not once per host pattern: imported tracker lists give a rule hundreds of hosts.
        var name = HostPattern.Normalize(host);
        for (var i = 0; i < Hosts.Count; i++) // indexed: a foreach over the interface allocates an enumerator per rule and request
        {
            if (Hosts[i].Matches(name))
            {
                return true;
            }
        }

        return false;
    }

    public bool MatchesPath(string path) => Path is null || Path.Matches(path);

    public bool MatchesMethod(string method)
    {
        for (var i = 0; i < Methods.Count; i++)
        {
            if (string.Equals(Methods[i], method, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return Methods.Count == 0;
    }

    public bool MatchesParameters(IReadOnlySet<string> names)
    {
        for (var g = 0; g < ParameterGroups.Count; g++)
        {
            if (FirstPresent(ParameterGroups[g], names) is null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first name of a parameter group that the request has; null when it has none of them.</summary>
    public static string? FirstPresent(IReadOnlyList<string> group, IReadOnlySet<string> names)
    {
        for (var i = 0; i < group.Count; i++)
        {
            if (names.Contains(group[i]))
            {
                return group[i];
            }
        }

        return null;
    }

    /// <summary>Host, path, method and parameter shape all match (the names of the query and form-body parameters).</summary>
    public bool Matches(Flows.Flow flow, IReadOnlySet<string> parameterNames) =>
        MatchesHost(flow.Host) && MatchesPath(flow.Path) && MatchesMethod(flow.Method)
        && (ParameterGroups.Count == 0 || MatchesParameters(parameterNames));
}

/// <summary>
/// A host or path pattern as rule files write them: <c>re:REGEX</c> for a regular expression, a leading <c>*.</c> for
/// host names below a domain, <c>*</c> elsewhere as a wildcard, anything else exactly.
/// </summary>
public sealed class TextPattern
{
    private readonly Regex? _regex;
    private readonly HostPattern? _host;
    private readonly string? _exact;

    private TextPattern(string text, Regex? regex, HostPattern? host, string? exact)
    {
        Text = text;
        _regex = regex;
        _host = host;
        _exact = exact;
    }

    public string Text { get; }

    /// <exception cref="ArgumentException">An invalid regular expression.</exception>
    public static TextPattern ForHost(string text) =>
        text.StartsWith("re:", StringComparison.Ordinal) ? Regex(text)
        : new TextPattern(text, null, new HostPattern(text), null);

    public static TextPattern ForPath(string text) =>
        text.StartsWith("re:", StringComparison.Ordinal) ? Regex(text)
        : text.Contains('*') ? new TextPattern(text, Glob(text), null, null)
        : new TextPattern(text, null, null, text);

    public bool Matches(string value) =>
        _regex?.IsMatch(value) ?? _host?.Matches(value) ?? string.Equals(value, _exact, StringComparison.Ordinal);

    public override string ToString() => Text;

    // Non-backtracking: linear in the input whatever a rule author writes, so hostile hosts and paths cannot stall it.
    private static TextPattern Regex(string text) =>
        new(text, new Regex(text[3..], RuleRegex.Options | RegexOptions.IgnoreCase), null, null);

    private static Regex Glob(string text) =>
        new("^" + System.Text.RegularExpressions.Regex.Escape(text).Replace("\\*", ".*") + "$", RuleRegex.Options);
}

/// <summary>How regular expressions from rule files are compiled.</summary>
internal static class RuleRegex
{
    public const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;
}
