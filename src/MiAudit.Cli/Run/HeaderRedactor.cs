using MiAudit.Flows;

namespace MiAudit.Cli.Run;

/// <summary>
/// Masks the values of chosen headers (<c>--redact-headers cookie,authorization</c>) before a flow is stored.
/// Detection has already seen the real values; findings keep their evidence.
/// </summary>
public sealed class HeaderRedactor(IEnumerable<string> headerNames)
{
    public const string Mask = "[redacted]";

    private readonly HashSet<string> _names = new(headerNames.Select(n => n.Trim()).Where(n => n.Length > 0), StringComparer.OrdinalIgnoreCase);

    public bool IsEmpty => _names.Count == 0;

    public Flow Apply(Flow flow) => IsEmpty ? flow : flow with
    {
        RequestHeaders = Redact(flow.RequestHeaders),
        ResponseHeaders = Redact(flow.ResponseHeaders),
    };

    private HeaderField[] Redact(IReadOnlyList<HeaderField> headers) =>
        headers.Select(h => _names.Contains(h.Name) ? h with { Value = Mask } : h).ToArray();
}
