namespace MiAudit.Storage.Search;

/// <summary>
/// A full-text index of what each stored flow's request holds (its line, headers and decoded values), for searching
/// traffic the rules did not flag. Storage only keeps and searches the text; what goes in is the indexer's business
/// (the UI decodes requests as detection does). Entries are keyed by row id and uid, and may outlive their flow (a
/// flow replaced or removed): a search returns candidates, and the caller checks them against the stored flow.
/// </summary>
public interface ISearchIndex : IDisposable
{
    /// <summary>The highest and lowest row ids indexed, or null for an empty index.</summary>
    (long Lowest, long Highest)? Range();

    /// <summary>The uid an entry was indexed under, or null when that row id has none.</summary>
    string? UidOf(long flowId);

    /// <summary>Removes every entry (the index belongs to a database that is no longer there).</summary>
    void Clear();

    /// <summary>Adds (or replaces) entries, in one transaction.</summary>
    void Add(IReadOnlyList<SearchEntry> entries);

    /// <summary>Row ids whose text holds <paramref name="text"/> (ignoring case), newest first, below <paramref name="beforeId"/>.</summary>
    IReadOnlyList<long> Search(string text, long? beforeId, int limit);

    /// <summary>How many entries the index holds and its size on disk, in bytes.</summary>
    (long Entries, long Bytes) Size();
}

/// <summary>The searchable text of one stored flow.</summary>
public sealed record SearchEntry(long FlowId, string Uid, string Text)
{
    /// <summary>What one flow may put into the index: the index stays within a known size per flow.</summary>
    public const int MaxText = 16 * 1024;
}
