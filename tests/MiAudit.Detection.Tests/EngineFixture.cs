using MiAudit.Detection.Findings;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;
using MiAudit.Flows;

namespace MiAudit.Detection.Tests;

/// <summary>The test phone's profile and an engine over the built-in rules.</summary>
public static class TestDevice
{
    public const string Imei = "861234567890125"; // Luhn-valid
    public const string AndroidId = "3f8a6b2c1d4e5f60";
    public const string AdvertisingId = "38400000-8cf0-11bd-b23e-10b96e40000d";
    public const string Mac = "a4:50:46:12:34:56";
    public const string Model = "Redmi Note 8 Pro";
    public const string Email = "researcher@example.org";

    public static readonly string ProfileYaml = $"""
        name: Redmi Note 8 Pro (test phone)
        identifiers:
          imei: ["{Imei}", "861234567890133"]
          android_id: {AndroidId}
          advertising_id: {AdvertisingId}
          mac: "{Mac}"
          account: {Email}
          extra:
            xiaomi_user_id: "6234987123"
        attributes:
          model: {Model}
          android_version: "10"
          rom_version: MIUI Global 12.0.3
        """;

    public static DeviceProfile Profile => DeviceProfile.Parse(ProfileYaml, "device.yaml");

    public static DetectionEngine Engine(RuleSet? rules = null) => new(rules ?? RuleSet.BuiltIn(), Profile);

    public static IReadOnlyList<Finding> Analyze(this DetectionEngine engine, FlowBuilder builder)
    {
        var flow = builder.Build();
        engine.ObserveRequest(flow);
        return engine.Analyze(flow).Findings;
    }

    public static IReadOnlyList<Finding> Navigate(this DetectionEngine engine, string url)
    {
        var flow = FlowBuilder.Navigation(url);
        engine.ObserveRequest(flow);
        return engine.Analyze(flow).Findings;
    }

    public static Flow Observed(this DetectionEngine engine, Flow flow)
    {
        engine.ObserveRequest(flow);
        return flow;
    }
}
