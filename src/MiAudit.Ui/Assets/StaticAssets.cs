namespace MiAudit.Ui.Assets;

/// <summary>The page, its script and its stylesheet, embedded in the assembly.</summary>
internal static class StaticAssets
{
    private static readonly Dictionary<string, (string File, string ContentType)> Routes = new(StringComparer.Ordinal)
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["/app.css"] = ("app.css", "text/css; charset=utf-8"),
    };

    private static readonly Dictionary<string, byte[]> Cache = Routes.Values.ToDictionary(r => r.File, r => Load(r.File));

    public static bool TryGet(string path, out byte[] content, out string contentType)
    {
        if (Routes.TryGetValue(path, out var route))
        {
            (content, contentType) = (Cache[route.File], route.ContentType);
            return true;
        }

        (content, contentType) = ([], "");
        return false;
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(StaticAssets).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"the UI asset {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
