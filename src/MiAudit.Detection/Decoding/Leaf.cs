namespace MiAudit.Detection.Decoding;

/// <summary>A value a person would read, decoded out of a request, with where it came from.</summary>
/// <param name="Expanded">
/// True when the value was decoded into children that carry all of it (JSON, a form, base64 of text, …):
/// detectors then read the children, whose paths say more, and not the container.
/// </param>
public readonly record struct Leaf(string Text, LeafPath Path, bool Expanded = false);
