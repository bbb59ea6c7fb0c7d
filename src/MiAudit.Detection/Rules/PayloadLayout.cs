namespace MiAudit.Detection.Rules;

/// <summary>
/// An SDK adapter, as data (an endpoint rule's <c>payload:</c>, in the spirit of TrackHAR's adapters): what the
/// fields of the SDK's events mean, keyed by their path inside the JSON or protobuf document with indexes left out
/// (<c>properties.$device_id</c>, <c>1.46</c>). A finding inside a flow to that endpoint, in such a field, says which
/// SDK field it is: "Sensors Analytics field properties.$device_id (device id)", not only a leaf path.
/// </summary>
/// <param name="Urls">
/// Fields of one event that together are a page URL (host, path and optionally query), for SDKs that send a page
/// in parts (GrowingIO: <c>domain</c>, <c>path</c>, <c>query</c>): the parts are joined into one more value, so the
/// visited-URL rule can find the page.
/// </param>
public sealed record PayloadLayout(string Sdk, IReadOnlyDictionary<string, string> Fields, IReadOnlyList<string[]> Urls)
{
    /// <summary>How a finding in <paramref name="documentField"/> names it, or null for a field the layout does not know.</summary>
    public string? Describe(string documentField) => _descriptions.GetValueOrDefault(documentField);

    // Made once: a finding in such a field is named on every upload.
    private readonly Dictionary<string, string> _descriptions =
        Fields.ToDictionary(field => field.Key, field => $"{Sdk} field {field.Key} ({field.Value})", StringComparer.Ordinal);
}
