using System.Net;
using FsCheck;
using FsCheck.Fluent;
using MiAudit.Detection.Decoding;

namespace MiAudit.Detection.Tests.Decoding;

public sealed class FormEncodingTests
{
    // Escapes valid and broken, '+', multi-byte UTF-8 in escapes (whole, cut, stray continuation bytes) and raw non-ASCII.
    private static readonly string[] Pieces =
        ["a", "Z", "0", "=", "&", "+", "%", "%2", "%2B", "%2b", "%3D", "%20", "%zz", "%C3%A9", "%C3", "%A9", "%E2%82%AC", "%E2%82",
         "%F0%9F%98%80", "%FF", "%00", "%u00e9", "é", "€", "\ud83d\ude00", "\ud800", " "];

    [Fact]
    public void Decoding_reads_every_value_as_WebUtility_does()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Elements(Pieces), n)).Select(string.Concat)), value =>
            FormEncoding.Decode(value) == WebUtility.UrlDecode(value)).Check(Config.QuickThrowOnFailure.WithMaxTest(20_000));
    }

    [Fact]
    public void A_long_value_is_decoded_whole()
    {
        var value = string.Concat(Enumerable.Repeat("%7B%22k%22%3A%22v+w%22%7D", 200)); // 5,200 chars: past the stack buffer

        Assert.Equal(string.Concat(Enumerable.Repeat("{\"k\":\"v w\"}", 200)), FormEncoding.Decode(value));
    }

    [Fact]
    public void Pairs_are_read_in_order_with_their_escapes_decoded()
    {
        var pairs = FormEncoding.Parse("?a=1&&b=x%20y&c&=v&d=%2B+").ToList();

        Assert.Equal([new("a", "1"), new("b", "x y"), new("c", ""), new("", "v"), new("d", "+ ")], pairs);
    }
}
