using System.Net;
using MiAudit.Proxy.Access;

namespace MiAudit.Proxy.Tests.Access;

public class AccessPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.20.30.40", true)]
    [InlineData("172.16.5.4", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.77", true)]
    [InlineData("169.254.10.10", true)]
    [InlineData("100.64.1.1", true)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("::ffff:192.168.1.5", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("::ffff:8.8.8.8", false)]
    public void By_default_only_private_clients_are_allowed(string address, bool allowed) =>
        Assert.Equal(allowed, new ClientAccessPolicy().Allows(IPAddress.Parse(address)));

    [Fact]
    public void An_explicit_list_replaces_the_default()
    {
        var policy = new ClientAccessPolicy([IPNetwork.Parse("192.168.7.0/24"), IPNetwork.Parse("203.0.113.9/32")]);

        Assert.True(policy.Allows(IPAddress.Parse("192.168.7.20")));
        Assert.True(policy.Allows(IPAddress.Parse("203.0.113.9")));
        Assert.False(policy.Allows(IPAddress.Parse("192.168.1.20")));
        Assert.False(policy.Allows(IPAddress.Loopback));
    }

    [Fact]
    public void Proxy_credentials_are_checked_exactly()
    {
        var authentication = new ProxyAuthentication("researcher:s3cret:with:colons");
        var good = "Basic " + Convert.ToBase64String("researcher:s3cret:with:colons"u8.ToArray());

        Assert.True(authentication.Accepts(good));
        Assert.True(authentication.Accepts("basic " + good["Basic ".Length..]));
        Assert.False(authentication.Accepts(null));
        Assert.False(authentication.Accepts("Basic " + Convert.ToBase64String("researcher:wrong"u8.ToArray())));
        Assert.False(authentication.Accepts("Bearer " + good["Basic ".Length..]));
        Assert.Throws<FormatException>(() => new ProxyAuthentication("no-colon"));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.8.9.10", false)]
    [InlineData("::1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("192.0.2.10", false)] // this machine's own address in the test
    [InlineData("192.0.2.11", true)]
    [InlineData("203.0.113.5", true)]
    public void Upstreams_on_this_machine_are_refused_unless_allowed(string address, bool permitted)
    {
        var strict = new UpstreamAddressPolicy(allowLocal: false, ownAddresses: [IPAddress.Parse("192.0.2.10")]);
        var lenient = new UpstreamAddressPolicy(allowLocal: true, ownAddresses: [IPAddress.Parse("192.0.2.10")]);

        Assert.Equal(permitted, strict.Refusal(IPAddress.Parse(address)) is null);
        Assert.Null(lenient.Refusal(IPAddress.Parse(address)));
    }
}
