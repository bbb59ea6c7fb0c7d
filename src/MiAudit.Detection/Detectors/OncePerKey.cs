using System.Collections.Concurrent;

namespace MiAudit.Detection.Detectors;

/// <summary>
/// Which flow reported a (client, destination, value) first. Analysing that flow again (a re-check after a late visit,
/// a rescan) reports it again, so the finding stays on the one flow. Flows are analysed in the order they finished,
/// live and offline, so both pick the same flow. Bounded: past the limit it forgets everything once.
/// </summary>
internal sealed class OncePerKey
{
    private const int MaxKeys = 100_000;
    private readonly ConcurrentDictionary<(string, string, string), Guid> _reportedBy = new();

    public bool FirstTime(string client, string destination, string value, Guid flow)
    {
        if (_reportedBy.Count >= MaxKeys)
        {
            _reportedBy.Clear();
        }

        return _reportedBy.GetOrAdd((client, destination, value), flow) == flow;
    }
}
