namespace MiAudit.Detection.Loading;

/// <summary>A rule, host list or device profile file that cannot be used, with the file, line and reason.</summary>
public sealed class ConfigurationFileException(string source, long line, long column, string reason, Exception? inner = null)
    : Exception($"{source}:{line}:{column}: {reason}", inner)
{
    public string File { get; } = source;

    public long Line { get; } = line;

    public string Reason { get; } = reason;
}
