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
        var urls = layouts.SelectMany(layout => layout.Urls).ToList();
        if (urls.Count == 0)
        {
            return; // the matching layouts have whole URLs: no need to read every leaf's field path
        }

        var parts = new Dictionary<(LeafPath Event, string[] Url), string?[]>(); // both by reference: one event, one layout entry
        foreach (var leaf in decoded.Leaves)
        {
            if (leaf.Path.Parent is not { } parent || leaf.Path.DocumentField is not { } field)
            {
                continue;
            }

            foreach (var url in urls)
            {
                var part = Array.IndexOf(url, field);
                if (part >= 0)
                {
                    var values = parts.TryGetValue((parent, url), out var found) ? found : parts[(parent, url)] = new string?[url.Length];
                    values[part] = leaf.Text;
                }
            }
        }

        foreach (var ((parent, url), values) in parts)
        {
            if (values[0] is { Length: > 0 } host && values[1] is { Length: > 0 } path)
            {
                var query = values.Length > 2 && values[2] is { Length: > 0 } q ? "?" + q.TrimStart('?') : "";
                var steps = string.Join('+', url.Select(p => p[(p.LastIndexOf('.') + 1)..]));
                decoded.Leaves.Add(new Leaf($"{host}{(path.StartsWith('/') ? "" : "/")}{path}{query}", parent.Transform($"url({steps})")));
            }
        }
    }
}
