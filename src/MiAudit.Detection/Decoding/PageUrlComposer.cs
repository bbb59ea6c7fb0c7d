using MiAudit.Detection.Rules;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Joins the parts of a page URL an SDK sends in separate fields of one event (a layout's <c>urls</c>) into one more
/// value, <c>host/path?query</c>, at <c>… → protobuf.#1[0] → url(9+10+11)</c>: the visited-URL rule then finds a page
/// that no single field holds. Parts belong together when they sit in the same object.
/// </summary>
internal static class PageUrlComposer
{
    public static void Compose(DecodedRequest decoded, IReadOnlyList<PayloadLayout> layouts)
    {
        foreach (var parts in layouts.SelectMany(layout => layout.Urls))
        {
            var events = new Dictionary<LeafPath, string?[]>(ReferenceEqualityComparer.Instance);
            foreach (var leaf in decoded.Leaves)
            {
                if (leaf.Path.Parent is { } parent && leaf.Path.DocumentField is { } field && IndexOf(parts, field) is >= 0 and var part)
                {
                    (events.TryGetValue(parent, out var found) ? found : events[parent] = new string?[parts.Count])[part] = leaf.Text;
                }
            }

            foreach (var (parent, values) in events)
            {
                if (values[0] is { Length: > 0 } host && values[1] is { Length: > 0 } path)
                {
                    var query = values.Length > 2 && values[2] is { Length: > 0 } q ? "?" + q.TrimStart('?') : "";
                    var steps = string.Join('+', parts.Select(p => p[(p.LastIndexOf('.') + 1)..]));
                    decoded.Leaves.Add(new Leaf($"{host}{(path.StartsWith('/') ? "" : "/")}{path}{query}", parent.Transform($"url({steps})")));
                }
            }
        }
    }

    private static int IndexOf(IReadOnlyList<string> parts, string field)
    {
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] == field)
            {
                return i;
            }
        }

        return -1;
    }
}
