using System.Text;
using System.Text.Json;
using MiAudit.Detection;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Writing;
using MiAudit.Testing;

namespace MiAudit.Reporting.Tests;

/// <summary>
/// A store holding two audits of the same phone, "normal" and "incognito", built the way <c>miaudit run</c> builds
/// one: each request goes through the real detection engine and its findings into the real store. In both modes the
/// browser reports the Android ID to a Xiaomi telemetry host; only in normal mode does it also send the visited URL.
/// </summary>
public sealed class AuditedPhone : IDisposable
{
    public const string AndroidId = "5e1f0c9a7b3d2468";
    public const string TelemetryHost = "sa.api.intl.miui.com";
    public const string Hostile = "<img src=x onerror=alert(1)>|`*_";

    public static readonly string AndroidIdMd5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(AndroidId)));

    public static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private readonly TemporaryDirectory _directory = new("miaudit-report");

    public AuditedPhone()
    {
        using var connection = AuditDatabase.Open(Database);
        var profileText = $"name: Redmi test phone\nidentifiers:\n  android_id: {AndroidId}\nattributes:\n  model: Redmi Note 8 Pro\n";
        var rules = RuleSet.BuiltIn();
        var sessions = new SessionStore(connection);
        var clock = Start;
        foreach (var (label, leaksUrl) in new[] { ("normal", true), ("incognito", false) })
        {
            var engine = new DetectionEngine(rules, DeviceProfile.Parse(profileText, "test profile"));
            var sessionId = sessions.Start(label, "0.1.0-test", rules.Hash, profileText, null, clock);
            using var batch = new BatchWriter(connection, rules.Hash);
            for (var page = 0; page < 3; page++)
            {
                var visited = Request(clock, "news.example.com", $"/story-{page}", "", null);
                engine.ObserveRequest(visited);
                Store(engine, batch, sessionId, visited);

                // One telemetry upload a minute: the timeline has a bar per minute.
                clock = clock.AddMinutes(1);
                var properties = new Dictionary<string, object> { ["android_id"] = AndroidId, ["distinct_id"] = AndroidIdMd5, ["note"] = Hostile };
                if (leaksUrl)
                {
                    properties["$url"] = visited.Url;
                }

                var data = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { @event = "$pageview", properties })));
                var upload = Request(clock, TelemetryHost, "/sa", "?project=mibrowser", Encoding.ASCII.GetBytes("data=" + Uri.EscapeDataString(data)));
                Store(engine, batch, sessionId, upload);
                clock = clock.AddSeconds(10);
            }

            batch.Commit();
            sessions.End(sessionId, clock);
            clock = clock.AddMinutes(30);
        }
    }

    public string Database => _directory.File("audit.db");

    public string Directory => _directory.Path;

    /// <summary>Findings the engine produced, over both sessions.</summary>
    public int Findings { get; private set; }

    public int FlaggedFlows { get; private set; }

    private void Store(DetectionEngine engine, BatchWriter batch, long sessionId, Flow flow)
    {
        var findings = engine.Analyze(flow).Findings;
        batch.Insert(sessionId, new FlowRecord(flow, findings, [], KeepBodies: true));
        Findings += findings.Count;
        FlaggedFlows += findings.Count > 0 ? 1 : 0;
    }

    private static Flow Request(DateTimeOffset time, string host, string path, string query, byte[]? form) =>
        SampleFlows.Https(time, host, path, query, form is null
            ? [new("user-agent", "Mozilla/5.0 (Linux; Android 10) XiaoMi/MiuiBrowser/12.2"), new("accept", "text/html"), new("sec-fetch-mode", "navigate"), new("sec-fetch-dest", "document")]
            : [new("user-agent", "MiuiBrowser/12.2"), new("content-type", "application/x-www-form-urlencoded"), new("x-device", AndroidId)], form);

    public void Dispose() => _directory.Dispose();
}
