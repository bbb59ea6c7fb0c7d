using System.Text;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Header values cross the proxy as bytes: both Kestrel and the upstream client read and write them as Latin-1, where
/// each char is one byte, so a UTF-8 or Latin-1 value reaches the other side unchanged (by default both refuse any byte
/// above 0x7F: a browser's <c>café</c> failed only through MiAudit). For the evidence, a value whose bytes are valid
/// UTF-8 is stored as that text; any other value as its bytes read as Latin-1.
/// </summary>
internal static class HeaderBytes
{
    public static readonly Encoding Wire = Encoding.Latin1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The stored text of a value read as Latin-1.</summary>
    public static string Readable(string wireValue)
    {
        if (Ascii.IsValid(wireValue))
        {
            return wireValue;
        }

        var bytes = Wire.GetBytes(wireValue);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return wireValue;
        }
    }
}
