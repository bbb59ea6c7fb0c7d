using MiAudit.Detection.Decoding;
using MiAudit.Detection.Detectors;
using MiAudit.Detection.Matching;
using MiAudit.Detection.Profiles;
using MiAudit.Flows;

namespace MiAudit.Detection.Masking;

/// <summary>
/// The one masking policy every output goes through (exports, the findings table, the live view, the report): it
/// knows the audit's identifiers in every form detection searches (as written, other spellings, hashes) and masks
/// them wherever they hide — plain in a text, or inside an encoded token (base64, hex, percent-encoding, compressed
/// data) that MiAudit's own decoder opens. What it returns is checked with that decoder, so nothing detection would
/// find in the output is left: a piece that cannot be masked in place is masked whole.
/// </summary>
public sealed class MaskingPolicy
{
    /// <summary>Unmasked output: every method returns its input.</summary>
    public static readonly MaskingPolicy None = new(null);

    private readonly PatternSet<bool>? _identifiers;

    private MaskingPolicy(PatternSet<bool>? identifiers) => _identifiers = identifiers;

    /// <param name="identifiers">
    /// Profile fields and their values (<c>imei</c>, <c>8612…</c>), and identifier values found in traffic (any field
    /// name): each is masked in every form <see cref="IdentifierVariants"/> produces, as detection searches them.
    /// </param>
    public static MaskingPolicy For(IEnumerable<(string Field, string Value)> identifiers)
    {
        var variants = identifiers
            .Where(i => i.Value.Length >= DeviceProfileDetector.MinIdentifierLength)
            .SelectMany(i => IdentifierVariants.For(i.Field, i.Value))
            .Where(v => v.Text.Length >= DeviceProfileDetector.MinIdentifierLength)
            .DistinctBy(v => (v.Text, v.CaseSensitive))
            .Select(v => (v.Text, true, v.CaseSensitive));
        return new MaskingPolicy(new PatternSet<bool>(variants));
    }

    public bool Enabled => _identifiers is not null;

    /// <summary>A finding's value: an identifier is masked whole (<c>8612*******0125</c>), anything else as text.</summary>
    public string Value(string category, string value) =>
        !Enabled ? value : ValueMasking.IsIdentifier(category) ? ValueMasking.Mask(value) : Text(value);

    /// <summary>Any text: a URL, a header value, a decoded value, a snippet. Same length out as in.</summary>
    public string Text(string text)
    {
        if (_identifiers is null || _identifiers.Count == 0 || text.Length < DeviceProfileDetector.MinIdentifierLength)
        {
            return text;
        }

        var masked = EncodedTokens.Mask(MaskPlain(text), Holds);
        // Whatever the tokenizer did not see (a JSON escape inside base64, a form field split across tokens): the
        // decoder has the last word, and what it still finds an identifier in is not published.
        return Holds(masked) ? ValueMasking.Mask(masked) : masked;
    }

    /// <summary>A body or message as captured, with the Content-Encoding it was sent with.</summary>
    public byte[] Bytes(ReadOnlyMemory<byte> bytes, string? contentEncoding)
    {
        if (_identifiers is null || _identifiers.Count == 0 || bytes.IsEmpty)
        {
            return bytes.ToArray();
        }

        return BodyMasking.Mask(bytes.ToArray(), contentEncoding, this);
    }

    /// <summary>A flow with every place a value can hide masked: path, query, headers, trailers, bodies, WebSocket messages.</summary>
    public Flow Flow(Flow flow)
    {
        if (!Enabled)
        {
            return flow;
        }

        var masked = flow with
        {
            Path = Text(flow.Path),
            Query = Text(flow.Query),
            RequestHeaders = Headers(flow.RequestHeaders),
            RequestTrailers = Headers(flow.RequestTrailers),
            RequestBody = Body(flow.RequestBody, flow.RequestHeader("content-encoding")),
            ResponseHeaders = Headers(flow.ResponseHeaders),
            ResponseTrailers = Headers(flow.ResponseTrailers),
            ResponseBody = Body(flow.ResponseBody, flow.ResponseHeader("content-encoding")),
            WebSocketMessages = flow.WebSocketMessages.Select(m => m with { Payload = Body(m.Payload, null) }).ToList(),
        };
        return BodyMasking.Verified(masked, this);
    }

    private IReadOnlyList<HeaderField> Headers(IReadOnlyList<HeaderField> headers) =>
        headers.Count == 0 ? headers : headers.Select(h => h with { Value = Text(h.Value) }).ToList();

    private CapturedBody Body(CapturedBody body, string? contentEncoding) =>
        body.Bytes.IsEmpty ? body : body.WithBytes(Bytes(body.Bytes, contentEncoding));

    /// <summary>Every occurrence of an identifier form, boundaries or not: masking errs on the side of hiding.</summary>
    internal string MaskPlain(string text)
    {
        var matches = _identifiers!.Find(text, static (_, _) => true, static _ => OneGroup);
        return matches.Count == 0 ? text : ValueMasking.MaskRanges(text, matches.Select(m => (m.Start, m.End)));
    }

    /// <summary>Whether the decoder finds an identifier form in the text or anything decoded out of it.</summary>
    internal bool Holds(string text)
    {
        if (text.Length < DeviceProfileDetector.MinIdentifierLength)
        {
            return false;
        }

        var decoded = new DecodedRequest();
        new LeafExpander(DecodeLimits.Default, decoded).Text(text, LeafPath.Root("text"));
        return decoded.Leaves.Any(l => Matches(l.Text));
    }

    /// <summary>Whether a request, decoded the way detection decodes it, still shows an identifier form; and where.</summary>
    internal IEnumerable<string> LeakingRoots(Flow flow) =>
        RequestDecoder.Decode(flow).Leaves.Where(l => Matches(l.Text)).Select(l => l.Path.Location).Distinct();

    private bool Matches(string text) =>
        text.Length >= DeviceProfileDetector.MinIdentifierLength && _identifiers!.Find(text, static (_, _) => true, static _ => OneGroup).Count > 0;

    private static readonly object OneGroup = new();
}
