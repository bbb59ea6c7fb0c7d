using System.Globalization;

namespace MiAudit.Cli.Run;

/// <summary>Parses durations such as <c>90s</c>, <c>10m</c>, <c>2h</c>, <c>500ms</c>; <c>none</c> is no limit.</summary>
public static class Duration
{
    private static readonly (string Suffix, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];

    public static TimeSpan Parse(string text, string option)
    {
        var trimmed = text.Trim();
        if (trimmed.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return Timeout.InfiniteTimeSpan;
        }

        foreach (var (suffix, seconds) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(trimmed.AsSpan(0, trimmed.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var count)
                && count > 0 && count * seconds <= int.MaxValue / 1000.0)
            {
                return TimeSpan.FromSeconds(count * seconds);
            }
        }

        throw new UsageException($"{option} '{text}' is not a duration (e.g. 90s, 10m, 2h, or none)");
    }

    /// <summary>How a duration reads in <c>--help</c>; <see cref="Parse"/> reads it back.</summary>
    public static string Format(TimeSpan duration) =>
        duration == Timeout.InfiniteTimeSpan ? "none"
        : duration.TotalMinutes >= 1 && duration.Seconds == 0 ? $"{duration.TotalMinutes:0}m"
        : $"{duration.TotalSeconds:0.###}s";
}
