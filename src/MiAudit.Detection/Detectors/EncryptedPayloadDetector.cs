using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Detectors;

/// <summary>Reports telemetry payloads the SDK encrypted: unreadable, but evidence that the endpoint receives events.</summary>
public sealed class EncryptedPayloadDetector(RuleSet rules) : IDetector
{
    private readonly Rule[] _rules = rules.Enabled(RuleKind.EncryptedPayload).ToArray();

    public void Detect(DetectionContext context)
    {
        foreach (var rule in _rules)
        {
            foreach (var payload in context.Decoded.EncryptedPayloads)
            {
                context.Add(rule, $"encrypted {payload.Scheme} payload", "ekey/pkv/payloads envelope; content needs the vendor's key", payload.Path, "");
            }
        }
    }
}
