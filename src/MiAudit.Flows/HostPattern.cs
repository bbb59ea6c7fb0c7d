namespace MiAudit.Flows;

/// <summary>
/// A host name pattern as researchers type them: <c>example.com</c> matches that name only,
/// <c>*.example.com</c> matches any name below it (not the name itself), <c>*</c> matches everything.
/// Matching ignores case and a trailing dot.
/// </summary>
public sealed class HostPattern
{
    private readonly string _suffix;
    private readonly bool _wildcard;

    public HostPattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        Text = Normalize(pattern);
        if (Text == "*")
        {
            _wildcard = true;
            _suffix = "";
        }
        else if (Text.StartsWith("*.", StringComparison.Ordinal))
        {
            _wildcard = true;
            _suffix = Text[1..];
            if (_suffix.Contains('*'))
            {
                throw new FormatException($"'{pattern}': only a leading '*.' wildcard is supported");
            }
        }
        else if (Text.Contains('*'))
        {
            throw new FormatException($"'{pattern}': only a leading '*.' wildcard is supported");
        }
        else
        {
            _suffix = Text;
        }
    }

    public string Text { get; }

    public bool Matches(string host)
    {
        var name = Normalize(host);
        return _wildcard
            ? name.EndsWith(_suffix, StringComparison.Ordinal) && name.Length > _suffix.Length
            : name == _suffix;
    }

    public override string ToString() => Text;

    public static string Normalize(string host)
    {
        // Host names usually arrive normalised already; only allocate when something must change.
        var clean = host.Length > 0 && host[^1] != '.' && !char.IsWhiteSpace(host[0]) && !char.IsWhiteSpace(host[^1]);
        foreach (var c in host)
        {
            if (char.IsAsciiLetterUpper(c) || c > 0x7f)
            {
                clean = false;
                break;
            }
        }

        return clean ? host : host.Trim().TrimEnd('.').ToLowerInvariant();
    }
}
