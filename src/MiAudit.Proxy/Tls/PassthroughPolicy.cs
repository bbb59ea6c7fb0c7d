using System.Collections.Concurrent;
using MiAudit.Flows;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Decides which hosts' TLS is relayed untouched: the configured patterns, plus hosts whose clients kept aborting
/// our handshake (certificate pinning, or an app that does not trust user CAs) — intercepting those only breaks the app.
/// </summary>
public sealed class PassthroughPolicy
{
    private readonly HostPattern[] _configured;
    private readonly int _failureThreshold;
    private readonly ConcurrentDictionary<string, int> _consecutiveFailures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _learned = new(StringComparer.Ordinal);

    /// <param name="failureThreshold">Consecutive aborted handshakes before a host is learned; 0 disables learning.</param>
    public PassthroughPolicy(IEnumerable<string> patterns, int failureThreshold)
    {
        _configured = patterns.Select(p => new HostPattern(p)).ToArray();
        _failureThreshold = failureThreshold;
    }

    public IReadOnlyCollection<string> LearnedHosts => _learned.Keys.ToArray();

    public bool ShouldPassThrough(string host)
    {
        var name = HostPattern.Normalize(host);
        return _learned.ContainsKey(name) || _configured.Any(p => p.Matches(name));
    }

    /// <summary>Counts an aborted handshake; true when this failure made the host a pass-through host.</summary>
    public bool RecordHandshakeFailure(string host)
    {
        if (_failureThreshold <= 0)
        {
            return false;
        }

        var name = HostPattern.Normalize(host);
        var failures = _consecutiveFailures.AddOrUpdate(name, 1, (_, n) => n + 1);
        return failures >= _failureThreshold && _learned.TryAdd(name, 0);
    }

    public void RecordHandshakeSuccess(string host) => _consecutiveFailures.TryRemove(HostPattern.Normalize(host), out _);
}
