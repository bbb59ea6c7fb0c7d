using System.Buffers;
using MiAudit.Proxy.Connect;

namespace MiAudit.Proxy.Tests.Connect;

public class TunnelSnifferTests
{
    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02 }, TunnelContent.Tls)]
    [InlineData(new byte[] { 0x16, 0x03 }, TunnelContent.Tls)]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ' }, TunnelContent.Http)]
    [InlineData(new byte[] { (byte)'P', (byte)'O', (byte)'S', (byte)'T' }, TunnelContent.Http)]
    [InlineData(new byte[] { (byte)'P', (byte)'R', (byte)'I', (byte)' ' }, TunnelContent.Http2PriorKnowledge)]
    [InlineData(new byte[] { (byte)'P', (byte)'R', (byte)'I', (byte)'X' }, TunnelContent.Opaque)]
    [InlineData(new byte[] { (byte)'S', (byte)'S', (byte)'H', (byte)'-' }, TunnelContent.Opaque)]
    [InlineData(new byte[] { 0x16, 0x01, 0x00, 0x00 }, TunnelContent.Opaque)]
    [InlineData(new byte[0], TunnelContent.Opaque)]
    public void Classifies_the_first_bytes_of_a_tunnel(byte[] start, TunnelContent expected) =>
        Assert.Equal(expected, TunnelSniffer.Classify(new ReadOnlySequence<byte>(start)));
}
