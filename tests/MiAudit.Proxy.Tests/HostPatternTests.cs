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
    public void The_host_map_parses_name_equals_ip_or_endpoint_and_resolves_wildcards()
    {
        var map = new HostMap();
        map.Add("sa.api.intl.miui.com=127.0.0.1");
        map.Add("*.sensorsdata.cn=[::1]");
        map.Add("collector.example=127.0.0.2:8443");
        map.Add("v6.example=[::1]:9443");

        Assert.True(map.TryResolve("SA.api.intl.miui.com", 443, out var v4));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 443), v4);
        Assert.True(map.TryResolve("x.datasink.sensorsdata.cn", 80, out var v6));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 80), v6);
        Assert.True(map.TryResolve("collector.example", 443, out var withPort));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8443), withPort);
        Assert.True(map.TryResolve("v6.example", 443, out var v6WithPort));
        Assert.Equal(9443, v6WithPort.Port);
        Assert.False(map.TryResolve("example.com", 443, out _));
        Assert.Throws<FormatException>(() => map.Add("no-address"));
        Assert.Throws<FormatException>(() => map.Add("name=not-an-ip"));
        Assert.Throws<FormatException>(() => map.Add("name=127.0.0.1:notaport"));
    }
}
