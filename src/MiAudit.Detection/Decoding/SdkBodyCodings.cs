using System.Globalization;
using MiAudit.Flows;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Body codings an SDK declares in headers of its own rather than Content-Encoding. GrowingIO (Android, iOS, web,
/// mini-programs; per its SDK sources): <c>X-Compress-Codec: 2</c> is Snappy, <c>X-Crypt-Codec: 1</c> XORs every byte
/// with the low byte of the request's timestamp (<c>?stm=</c>, else <c>X-Timestamp</c>), applied after compressing.
/// Undone only when the result decompresses (or, without compression, when a key is there), so a header alone
/// cannot make MiAudit read noise.
/// </summary>
internal static class SdkBodyCodings
{
    public static (byte[] Bytes, LeafPath Path) Undo(Flow flow, byte[] bytes, LeafPath path, LeafExpander expander)
    {
        var key = flow.RequestHeader("x-crypt-codec")?.Trim() == "1" ? GrowingIoKey(flow) : null;
        var (plain, plainPath) = key is { } k ? (Xor(bytes, k.Value), path.Transform($"xor({k.Source})")) : (bytes, path);
        if (flow.RequestHeader("x-compress-codec")?.Trim() != "2")
        {
            return (plain, plainPath);
        }

        return expander.Inflate(plain, "snappy", plainPath) is { } inflated ? (inflated, plainPath.Transform("snappy")) : (bytes, path);
    }

    private static (byte Value, string Source)? GrowingIoKey(Flow flow)
    {
        foreach (var (name, value) in FormEncoding.Parse(flow.Query.TrimStart('?')))
        {
            if (name == "stm" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var stm))
            {
                return ((byte)(stm & 0xff), "stm");
            }
        }

        return long.TryParse(flow.RequestHeader("x-timestamp"), NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            ? ((byte)(timestamp & 0xff), "X-Timestamp")
            : null;
    }

    private static byte[] Xor(byte[] bytes, byte key)
    {
        var result = new byte[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            result[i] = (byte)(bytes[i] ^ key);
        }

        return result;
    }
}
