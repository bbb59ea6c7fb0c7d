using System.Collections.Concurrent;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// The root paths of named locations (<c>header[User-Agent]</c>, <c>query[q]</c>, <c>cookie[sid]</c>), shared across
/// requests: the same names come with every request, and a path is immutable. Bounded, since names are the audited
/// party's to choose: past the limit, or for a long name, a path is made for the one request.
/// </summary>
internal sealed class RootPaths
{
    private const int MaxNameLength = 64;
    private const int MaxEntries = 4096;

    private readonly ConcurrentDictionary<(string Location, string Name), LeafPath> _paths = new();

    public LeafPath Of(string location, string name)
    {
        if (name.Length > MaxNameLength)
        {
            return LeafPath.Root(location, name);
        }

        if (_paths.TryGetValue((location, name), out var path))
        {
            return path;
        }

        path = LeafPath.Root(location, name);
        return _paths.Count < MaxEntries ? _paths.GetOrAdd((location, name), path) : path;
    }
}
