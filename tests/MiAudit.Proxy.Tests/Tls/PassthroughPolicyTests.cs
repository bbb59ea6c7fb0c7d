using MiAudit.Proxy.Tls;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Tls;

public class PassthroughPolicyTests
{
    // JA4 fingerprints of two clients on one phone: its browser, and a native SDK that pins.
    private const string Browser = "t13d1516h2_8daaf6152771_e5627efa2ab1";
    private const string PinningSdk = "t13d1312h2_e8f1e7e78f70_b26ce05bbdd6";

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Three_refusals_in_a_row_pass_the_host_through_for_that_client_only()
    {
        var policy = new PassthroughPolicy([], 3, _clock);
        Assert.False(policy.RecordRefusal("app.example", "192.168.1.50", Browser, "unknown_ca"));
        Assert.False(policy.RecordRefusal("app.example", "192.168.1.50", Browser, "unknown_ca"));
        Assert.True(policy.RecordRefusal("APP.example.", "192.168.1.50", Browser, "unknown_ca"));

        Assert.Contains("unknown_ca", policy.PassThroughReason("app.example", "192.168.1.50", Browser));
        Assert.Null(policy.PassThroughReason("app.example", "192.168.1.51", Browser));
        Assert.Null(policy.PassThroughReason("other.example", "192.168.1.50", Browser));
    }

    [Fact]
    public void A_pinning_sdk_does_not_blind_the_browser_on_the_same_phone()
    {
        var policy = new PassthroughPolicy([], 3, _clock);
        for (var i = 0; i < 3; i++)
        {
            policy.RecordRefusal("api.vendor.example", "192.168.1.50", PinningSdk, "unknown_ca");
        }

        Assert.Contains(PinningSdk, policy.PassThroughReason("api.vendor.example", "192.168.1.50", PinningSdk));
        Assert.Null(policy.PassThroughReason("api.vendor.example", "192.168.1.50", Browser));
    }

    [Fact]
    public void A_success_between_refusals_starts_the_count_again()
    {
        var policy = new PassthroughPolicy([], 3, _clock);
        policy.RecordRefusal("app.example", "10.0.0.2", Browser, "bad_certificate");
        policy.RecordRefusal("app.example", "10.0.0.2", Browser, "bad_certificate");
        policy.RecordHandshakeSuccess("app.example", "10.0.0.2", Browser);

        Assert.False(policy.RecordRefusal("app.example", "10.0.0.2", Browser, "bad_certificate"));
        Assert.Null(policy.PassThroughReason("app.example", "10.0.0.2", Browser));
    }

    [Fact]
    public void A_learned_host_is_intercepted_again_after_the_retry_interval()
    {
        var policy = new PassthroughPolicy([], 3, _clock);
        for (var i = 0; i < 3; i++)
        {
            policy.RecordRefusal("app.example", "10.0.0.2", Browser, "unknown_ca");
        }

        _clock.Advance(PassthroughPolicy.RetryAfter - TimeSpan.FromSeconds(1));
        Assert.NotNull(policy.PassThroughReason("app.example", "10.0.0.2", Browser));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(policy.PassThroughReason("app.example", "10.0.0.2", Browser));
    }

    [Fact]
    public void Configured_hosts_pass_through_for_everyone_and_learning_can_be_off()
    {
        var policy = new PassthroughPolicy(["*.bank.example"], 0, _clock);
        Assert.Equal("configured: --passthrough *.bank.example", policy.PassThroughReason("www.bank.example", "10.0.0.9", Browser));
        for (var i = 0; i < 10; i++)
        {
            Assert.False(policy.RecordRefusal("app.example", "10.0.0.2", Browser, "unknown_ca"));
        }

        Assert.Null(policy.PassThroughReason("app.example", "10.0.0.2", Browser));
    }
}
