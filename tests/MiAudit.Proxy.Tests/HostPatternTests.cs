using System.Net;
using MiAudit.Flows;
using MiAudit.Proxy.Forwarding;

namespace MiAudit.Proxy.Tests;

public class HostPatternTests
{
    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "EXAMPLE.com.", true)]
    [InlineData("example.com", "www.example.com", false)]
    [InlineData("*.example.com", "www.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "badexample.com", false)]
    [InlineData("*", "anything.at.all", true)]
    public void Patterns_match_as_documented(string pattern, string host, bool expected) =>
        Assert.Equal(expected, new HostPattern(pattern).Matches(host));

    [Theory]
    [InlineData("www.*.com")]
    [InlineData("*example.com")]
    [InlineData(" ")]
    public void Unsupported_wildcards_are_refused(string pattern) =>
        Assert.ThrowsAny<Exception>(() => new HostPattern(pattern));

    [Fact]
    public void The_host_map_parses_name_equals_ip_and_resolves_wildcards()
    {
        var map = new HostMap();
        map.Add("sa.api.intl.miui.com=127.0.0.1");
        map.Add("*.sensorsdata.cn=[::1]");

        Assert.True(map.TryResolve("SA.api.intl.miui.com", out var v4));
        Assert.Equal(IPAddress.Loopback, v4);
        Assert.True(map.TryResolve("x.datasink.sensorsdata.cn", out var v6));
        Assert.Equal(IPAddress.IPv6Loopback, v6);
        Assert.False(map.TryResolve("example.com", out _));
        Assert.Throws<FormatException>(() => map.Add("no-address"));
        Assert.Throws<FormatException>(() => map.Add("name=not-an-ip"));
    }
}
