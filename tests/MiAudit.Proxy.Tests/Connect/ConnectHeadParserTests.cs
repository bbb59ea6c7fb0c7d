using System.Buffers;
using System.Text;
using MiAudit.Proxy.Connect;

namespace MiAudit.Proxy.Tests.Connect;

public class ConnectHeadParserTests
{
    private static ConnectHeadStatus Parse(string text, out ConnectRequest? request, out ConnectHeadError? error, out long consumed, int max = 16 * 1024)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));
        var status = ConnectHeadParser.TryParse(buffer, max, out request, out var end, out error);
        consumed = buffer.Slice(buffer.Start, end).Length;
        return status;
    }

    [Fact]
    public void Parses_host_port_and_headers_and_stops_at_the_end_of_the_head()
    {
        const string head = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Connection: keep-alive\r\n\r\n";
        var status = Parse(head + "\x16\x03\x01", out var request, out _, out var consumed);

        Assert.Equal(ConnectHeadStatus.Complete, status);
        Assert.Equal("example.com", request!.Host);
        Assert.Equal(443, request.Port);
        Assert.Equal("keep-alive", request.Header("proxy-connection"));
        Assert.Equal(head.Length, consumed);
    }

    [Theory]
    [InlineData("CONNECT under_score.example.com:443 HTTP/1.1\r\n\r\n", "under_score.example.com", 443)]
    [InlineData("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n", "2001:db8::1", 8443)]
    [InlineData("CONNECT 10.0.0.1:5228 HTTP/1.0\r\n\r\n", "10.0.0.1", 5228)]
    public void Accepts_real_world_authorities(string head, string host, int port)
    {
        Assert.Equal(ConnectHeadStatus.Complete, Parse(head, out var request, out _, out _));
        Assert.Equal(host, request!.Host);
        Assert.Equal(port, request.Port);
    }

    [Fact]
    public void Every_prefix_of_a_head_is_incomplete_not_invalid()
    {
        const string head = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
        for (var length = 0; length < head.Length; length++)
        {
            Assert.Equal(ConnectHeadStatus.Incomplete, Parse(head[..length], out _, out _, out _));
        }
    }

    [Theory]
    [InlineData("CONNECT example.com HTTP/1.1\r\n\r\n")] // no port
    [InlineData("CONNECT example.com:0 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT example.com:99999 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT exa mple.com:443 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT ex<ample.com:443 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/2.0\r\n\r\n")]
    [InlineData("CONNECT example.com:443\r\n\r\n")]
    [InlineData("CONNECT [not-v6]:443 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nno colon here\r\n\r\n")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\n folded: header\r\n\r\n")]
    public void Rejects_malformed_heads_with_400(string head)
    {
        Assert.Equal(ConnectHeadStatus.Invalid, Parse(head, out _, out var error, out _));
        Assert.Equal(400, error!.StatusCode);
    }

    [Fact]
    public void Rejects_an_oversized_head_with_431_before_it_ends()
    {
        var head = "CONNECT example.com:443 HTTP/1.1\r\nX-Big: " + new string('a', 2000);
        Assert.Equal(ConnectHeadStatus.Invalid, Parse(head, out _, out var error, out _, max: 1024));
        Assert.Equal(431, error!.StatusCode);
    }

    [Theory]
    [InlineData("CONNECT ", true)]
    [InlineData("CONN", true)]
    [InlineData("GET http://example.com/ HTTP/1.1", false)]
    [InlineData("", true)]
    public void Recognises_the_start_of_a_connect_request(string start, bool expected) =>
        Assert.Equal(expected, ConnectHeadParser.LooksLikeConnect(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(start))));
}
