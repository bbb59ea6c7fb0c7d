using System.Text;
using MiAudit.Flows;

namespace MiAudit.Detection.Tests.Detectors;

/// <summary>Bytes of a non-HTTP protocol MiAudit decrypted (MQTT inside TLS, say) are scanned as binary content.</summary>
public class DecryptedOpaqueDetectionTests
{
    [Fact]
    public void An_identifier_in_a_decrypted_binary_protocol_is_found_in_the_client_bytes()
    {
        // An MQTT CONNECT packet whose client id is the IMEI, as some push SDKs build it.
        byte[] packet = [0x10, 0x21, 0x00, 0x04, .. "MQTT"u8, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x0f, .. Encoding.ASCII.GetBytes(TestDevice.Imei)];
        var flow = FlowBuilder.Post("https://push.vendor.example:8883/").Build() with
        {
            Transport = FlowTransport.DecryptedOpaque,
            Method = "CONNECT",
            Scheme = "tls",
            Path = "",
            RequestBody = CapturedBody.From(packet),
        };

        var findings = TestDevice.Engine().Analyze(flow).Findings;

        Assert.Contains(findings, f => f.Value == TestDevice.Imei && f.LeafPath.StartsWith("body"));
    }
}
