using MiAudit.Detection.Decoding;

namespace MiAudit.Detection.Tests.Decoding;

public sealed class DecompressionTests
{
    // Sizes around the pooled buffer's steps (4 KiB, doubling) and around the limit itself.
    [Theory]
    [InlineData(0, 1000, false)]
    [InlineData(4096, 100_000, false)]
    [InlineData(4097, 100_000, false)]
    [InlineData(70_000, 100_000, false)]
    [InlineData(65_536, 65_536, false)]
    [InlineData(65_537, 65_536, true)]
    [InlineData(200_000, 65_536, true)]
    [InlineData(10, 0, true)]
    [InlineData(300_000, 8_193, true)]
    public void Inflating_returns_exactly_the_bytes_up_to_the_limit_and_says_whether_more_were_cut(int size, int limit, bool cut)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);

        var inflated = Decompression.TryDecompress(SensorsWire.Gzip(data), "gzip", limit, out var truncated);

        Assert.Equal(cut, truncated);
        Assert.Equal(data.AsSpan(0, Math.Min(size, limit)).ToArray(), inflated);
    }

    [Fact]
    public void Bytes_that_are_not_in_the_format_inflate_to_nothing()
    {
        Assert.Null(Decompression.TryDecompress("not gzip at all"u8.ToArray(), "gzip", 1000, out _));
    }
}
