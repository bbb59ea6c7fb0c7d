using MiAudit.Detection.Sites;

namespace MiAudit.Detection.Tests.Sites;

public class PublicSuffixListTests
{
    [Theory]
    [InlineData("news.example.com", "example.com")]
    [InlineData("a.b.example.co.uk", "example.co.uk")]
    [InlineData("sa.api.intl.miui.com", "miui.com")]
    [InlineData("user.github.io", "user.github.io")]
    [InlineData("WWW.Example.COM.", "example.com")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("localhost", "localhost")]
    [InlineData("com", "com")]
    [InlineData("x.unknown-tld-zz", "x.unknown-tld-zz")]
    public void Registrable_domains_follow_the_public_suffix_list(string host, string site) =>
        Assert.Equal(site, PublicSuffixList.Default.RegistrableDomain(host));

    [Fact]
    public void Wildcard_and_exception_rules_apply()
    {
        var list = new PublicSuffixList(["*.ck", "!www.ck", "com"]);

        Assert.Equal("a.b.ck", list.RegistrableDomain("x.a.b.ck"));
        Assert.Equal("www.ck", list.RegistrableDomain("www.ck"));
        Assert.False(list.SameSite("a.one.ck", "a.two.ck"));
    }
}
