using System.Collections.Concurrent;

namespace MiAudit.Detection.Detectors;

/// <summary>Remembers which (client, destination, value) was reported already; bounded, then it forgets everything once.</summary>
internal sealed class OncePerKey
{
    private const int MaxKeys = 100_000;
    private readonly ConcurrentDictionary<(string, string, string), byte> _seen = new();

    public bool FirstTime(string client, string destination, string value)
    {
        if (_seen.Count >= MaxKeys)
        {
            _seen.Clear();
        }

        return _seen.TryAdd((client, destination, value), 0);
    }
}
