using System.Buffers;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Matching;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Detectors;

/// <summary>
/// Finds the device profile's identifiers in every leaf, in all their variants (case, separators, hashes, truncated
/// hashes, base64 digests), and its attributes where they stand as whole values.
/// </summary>
public sealed class DeviceProfileDetector : IDetector
{
    /// <summary>Shorter identifiers would match by accident.</summary>
    public const int MinIdentifierLength = 6;

    private static readonly string[] AttributeFieldHints =
        ["model", "version", "os", "rom", "miui", "build", "fingerprint", "device", "manufacturer", "brand", "system", "platform"];

    private readonly Rule? _identifierRule;
    private readonly Rule? _attributeRule;
    private readonly PatternSet<IdentifierTag>? _identifiers;
    private readonly (ProfileValue Value, SearchValues<string> Search)[] _attributes;

    public DeviceProfileDetector(RuleSet rules, DeviceProfile profile)
    {
        _identifierRule = rules.Enabled(RuleKind.DeviceIdentifier).FirstOrDefault();
        _attributeRule = rules.Enabled(RuleKind.DeviceAttribute).FirstOrDefault();
        var usable = profile.Identifiers.Where(IsSearchable).ToArray();
        Skipped = profile.Identifiers.Except(usable).ToArray();
        if (_identifierRule is not null && usable.Length > 0)
        {
            _identifiers = new PatternSet<IdentifierTag>(usable.SelectMany(id =>
                IdentifierVariants.For(id.Field, id.Value).Select(v => (v.Text, new IdentifierTag(id, v.Description), v.CaseSensitive))));
        }

        // SearchValues is vectorised; string.IndexOf with OrdinalIgnoreCase goes char by char under invariant globalization.
        _attributes = _attributeRule is null ? [] : profile.Attributes.Where(a => a.Value.Length >= 2)
            .Select(a => (a, SearchValues.Create([a.Value], StringComparison.OrdinalIgnoreCase))).ToArray();
    }

    /// <summary>Profile values too short or too generic to search for (reported to the researcher at start).</summary>
    public IReadOnlyList<ProfileValue> Skipped { get; }

    /// <summary>Plain identifier values, so the format detector does not report them a second time as unconfirmed.</summary>
    public static bool IsSearchable(ProfileValue value) =>
        value.Value.Length >= MinIdentifierLength && !IsPlaceholder(value);

    public void Detect(DetectionContext context)
    {
        foreach (var leaf in context.Values)
        {
            if (_identifiers is not null)
            {
                var matches = _identifiers.Find(leaf.Text, static (text, m) => Boundaries.Alphanumeric(text, m.Start, m.End), static tag => tag.Identifier);
                foreach (var match in matches)
                {
                    context.Add(_identifierRule!, match.Tag.Identifier.Value, match.Tag.Description, leaf.Path,
                        Snippet.Around(leaf.Text, match.Start, match.Length));
                }
            }

            foreach (var (attribute, search) in _attributes)
            {
                var at = FindWholeValue(leaf.Text, attribute.Value.Length, search);
                if (at < 0 || (attribute.Value.Length < 6 && !HintsAttribute(leaf.Path.FieldName)))
                {
                    continue;
                }

                var snippet = Snippet.Around(leaf.Text, at, attribute.Value.Length);
                if (!IsBrowserHeader(leaf.Path))
                {
                    context.Add(_attributeRule!, attribute.Value, attribute.Field, leaf.Path, snippet);
                }
                else if (_browserHeaderReports.FirstTime(context.Flow.ClientAddress, context.Site, attribute.Value, context.Flow.Id))
                {
                    // The browser sends its User-Agent (or client hints) to every site by design: reported once per
                    // client and destination, at info, so "flagged" keeps meaning something.
                    context.Add(_attributeRule!, attribute.Value, $"{attribute.Field} in the browser's own header, sent to every site (reported once per destination)",
                        leaf.Path, snippet, Severity.Info);
                }
            }
        }
    }

    private readonly OncePerKey _browserHeaderReports = new();

    private static readonly HashSet<string> BrowserHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "user-agent", "sec-ch-ua", "sec-ch-ua-model", "sec-ch-ua-platform", "sec-ch-ua-platform-version", "sec-ch-ua-full-version-list", "sec-ch-ua-full-version" };

    private static bool IsBrowserHeader(Decoding.LeafPath path) =>
        path is { LocationKind: "header", LocationName: { } header, TransformCount: 0 } && BrowserHeaders.Contains(header);

    /// <summary>Short attributes ("10", "K") count only in a field whose name says what it holds.</summary>
    private static bool HintsAttribute(string? fieldName) =>
        fieldName is not null && AttributeFieldHints.Any(hint => fieldName.Contains(hint, StringComparison.OrdinalIgnoreCase));

    private static int FindWholeValue(string text, int length, SearchValues<string> value)
    {
        for (var from = 0; from < text.Length;)
        {
            var found = text.AsSpan(from).IndexOfAny(value);
            if (found < 0)
            {
                return -1;
            }

            var at = from + found;
            if (Boundaries.Alphanumeric(text, at, at + length))
            {
                return at;
            }

            from = at + 1;
        }

        return -1;
    }

    private static bool IsPlaceholder(ProfileValue value) => value.Field switch
    {
        "mac" => MacAddress.Normalize(value.Value) is not { } mac || MacAddress.IsPlaceholder(mac),
        _ => IdentifierFormats.IsPlaceholder(value.Value),
    };

    private sealed record IdentifierTag(ProfileValue Identifier, string Description);
}
