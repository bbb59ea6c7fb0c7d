namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>
/// Every decoding MiAudit tries, in the order it tries them: structure first (a JSON document or a form is read as
/// such, not as base64), then escapes, then tokens from the most to the least specific alphabet. A value goes through
/// the list until a decoder takes it whole. To add a decoding, write one class and put it here (docs/architecture.md).
/// </summary>
internal static class DecoderRegistry
{
    public static readonly ITextDecoder[] Text =
    [
        new JsonDecoder(),
        new MarkupDecoder(),
        new FormDecoder(),
        new UrlQueryDecoder(),
        new PercentDecoder(),
        new HtmlEntityDecoder(),
        new HexDecoder(),
        new MimeBase64Decoder(),
        new Base64Decoder(),
        new Base32Decoder(),
        new LzStringDecoder(),
        new Base58Decoder(),
    ];

    public static readonly IByteDecoder[] Bytes =
    [
        new ContainerDecoder(),
        new ProtobufDecoder(),
        new ReadableTextDecoder(),
        new RawDeflateDecoder(),
        new BinaryStringsDecoder(),
    ];
}
