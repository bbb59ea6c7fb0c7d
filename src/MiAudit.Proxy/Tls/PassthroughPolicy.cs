using System.Collections.Concurrent;
using MiAudit.Flows;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// Decides which tunnels' TLS is relayed untouched: hosts configured with <c>--passthrough</c>, and hosts that one
/// client kept refusing MiAudit's certificate for (pinning, or an app that does not trust user CAs), where
/// intercepting only breaks the app. Learning counts real refusals only (<see cref="CertificateRefusal"/>), is scoped
/// to the client address, its TLS fingerprint (JA4 of the ClientHello) and the host — one phone's pinning SDK blinds
/// neither another phone nor the browser on the same phone, whose hellos differ — and expires: after
/// <see cref="RetryAfter"/> the host is intercepted again for that client.
/// </summary>
public sealed class PassthroughPolicy
{
    /// <summary>How long a learned pass-through lasts before interception is tried again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(10);

    private readonly HostPattern[] _configured;
    private readonly int _refusalThreshold;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(string Client, string Fingerprint, string Host), (int Count, string Alert)> _consecutiveRefusals = new();
    private readonly ConcurrentDictionary<(string Client, string Fingerprint, string Host), (DateTimeOffset Until, string Reason)> _learned = new();

    /// <param name="refusalThreshold">Consecutive refusals by one client before its host is learned; 0 disables learning.</param>
    public PassthroughPolicy(IEnumerable<string> patterns, int refusalThreshold, TimeProvider? clock = null)
    {
        _configured = patterns.Select(p => new HostPattern(p)).ToArray();
        _refusalThreshold = refusalThreshold;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Null when the tunnel is intercepted; else why it is relayed untouched (stored with the flow).</summary>
    /// <param name="fingerprint">The JA4 of the client's hello; empty when it could not be read.</param>
    public string? PassThroughReason(string host, string client, string fingerprint)
    {
        var name = HostPattern.Normalize(host);
        if (_configured.FirstOrDefault(p => p.Matches(name)) is { } pattern)
        {
            return $"configured: --passthrough {pattern.Text}";
        }

        var key = (client, fingerprint, name);
        if (_learned.TryGetValue(key, out var learned))
        {
            if (_clock.GetUtcNow() < learned.Until)
            {
                return learned.Reason;
            }

            _learned.TryRemove(key, out _); // expired: intercept again, and learn again if it still refuses
        }

        return null;
    }

    /// <summary>Counts a refusal of our certificate; true when this one made the host a pass-through host for the client.</summary>
    public bool RecordRefusal(string host, string client, string fingerprint, string alert)
    {
        if (_refusalThreshold <= 0)
        {
            return false;
        }

        var key = (client, fingerprint, HostPattern.Normalize(host));
        // A client's alert often races its close (the reset arrives first): the streak keeps the named alert it saw.
        var (refusals, named) = _consecutiveRefusals.AddOrUpdate(key, (1, alert),
            (_, streak) => (streak.Count + 1, alert == CertificateRefusal.ResetDuringHandshake ? streak.Alert : alert));
        if (refusals < _refusalThreshold)
        {
            return false;
        }

        _consecutiveRefusals.TryRemove(key, out _);
        var until = _clock.GetUtcNow() + RetryAfter;
        _learned[key] = (until, $"learned: {client} refused MiAudit's certificate {refusals} times in a row ({named}){(fingerprint.Length == 0 ? "" : $" with TLS fingerprint {fingerprint}")}; retried after {until:HH:mm} UTC");
        return true;
    }

    public void RecordHandshakeSuccess(string host, string client, string fingerprint) =>
        _consecutiveRefusals.TryRemove((client, fingerprint, HostPattern.Normalize(host)), out _);
}
