namespace MiAudit.Reporting.Tests;

public class IdentifierMaskingTests
{
    private const string AndroidId = "3f8a6b2c1d4e5f60";

    [Theory]
    [InlineData("id=3f8a6b2c1d4e5f60&x=1", "id=3f8a********5f60&x=1")]
    [InlineData("ID=3F8A6B2C1D4E5F60", "ID=3F8A********5F60")] // detection matches case-insensitively, so does masking
    [InlineData("a 3f8a6b2c1d4e5f60 b 3f8a6b2c1d4e5f60", "a 3f8a********5f60 b 3f8a********5f60")]
    [InlineData("nothing to hide", "nothing to hide")]
    public void Known_identifiers_are_masked_wherever_they_appear(string text, string expected)
    {
        Assert.Equal(expected, new IdentifierMasking([AndroidId], enabled: true).Apply(text));
    }

    [Fact]
    public void A_hash_is_masked_whole_not_only_where_its_prefix_is_known()
    {
        const string hash = "0123456789abcdef0123456789abcdef";
        var masking = new IdentifierMasking([hash[..16], hash], enabled: true);

        Assert.Equal("h=0123************************cdef", masking.Apply("h=" + hash));
    }

    [Fact]
    public void Overlapping_identifiers_leave_no_part_of_either_readable()
    {
        var masking = new IdentifierMasking(["aaaa1111bbbb", "bbbb2222cccc"], enabled: true);

        var masked = masking.Apply("aaaa1111bbbb2222cccc");

        Assert.DoesNotContain("1111", masked);
        Assert.DoesNotContain("2222", masked);
        Assert.Equal(20, masked.Length);
    }

    [Fact]
    public void Unmasked_reports_keep_the_text()
    {
        Assert.Equal("id=" + AndroidId, new IdentifierMasking([AndroidId], enabled: false).Apply("id=" + AndroidId));
    }
}
