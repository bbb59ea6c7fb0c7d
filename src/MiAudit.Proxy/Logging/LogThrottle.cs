namespace MiAudit.Proxy.Logging;

/// <summary>
/// At most one log line per key (a client address, an event) per window; what is held back is counted and reported
/// with the next line that passes. Under attack the log keeps telling what happens without growing by megabytes.
/// </summary>
internal sealed class LogThrottle(TimeProvider clock, TimeSpan window)
{
    private const int MaxKeys = 10_000; // a scan from many addresses must not grow this without bound

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset Since, int Suppressed)> _keys = [];

    /// <summary>True when a line for <paramref name="key"/> may be written now; <paramref name="suppressed"/> says how many were held back before it.</summary>
    public bool TryPass(string key, out int suppressed)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_keys.TryGetValue(key, out var state) && now - state.Since < window)
            {
                _keys[key] = (state.Since, state.Suppressed + 1);
                suppressed = 0;
                return false;
            }

            if (_keys.Count >= MaxKeys)
            {
                _keys.Clear();
            }

            suppressed = state.Suppressed;
            _keys[key] = (now, 0);
            return true;
        }
    }

    /// <summary>" (N similar held back)" for a line that follows suppressed ones, else empty.</summary>
    public static string Held(int suppressed) => suppressed == 0 ? "" : $" ({suppressed} similar held back)";
}
