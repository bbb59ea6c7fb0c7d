using System.Globalization;

namespace MiAudit.Cli.Run;

/// <summary>Parses sizes such as <c>4MiB</c>, <c>512KiB</c>, <c>1048576</c>.</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Factor)[] Units =
        [("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000), ("B", 1)];

    public static long Parse(string text)
    {
        var trimmed = text.Trim();
        foreach (var (suffix, factor) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && long.TryParse(trimmed.AsSpan(0, trimmed.Length - suffix.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var scaled))
            {
                return checked(scaled * factor);
            }
        }

        return long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
            ? bytes
            : throw new UsageException($"'{text}' is not a size (e.g. 4MiB, 512KiB, 65536)");
    }
}
