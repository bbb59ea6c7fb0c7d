using Microsoft.Extensions.Logging;
using MiAudit.Storage;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Search;

namespace MiAudit.Ui.Search;

/// <summary>
/// Keeps the store's search index up with its flows, off the proxy's path: on a thread of its own at below-normal
/// priority (the proxy and detection come first), with a store and index connection of its own. New flows are indexed
/// as they are stored; older ones are filled in backwards from the newest, so a search over a large old database
/// covers the recent traffic first. <see cref="Coverage"/> says how far it has come.
/// </summary>
internal sealed class SearchIndexer : IDisposable
{
    private const int Batch = 100;
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    private readonly IAuditStore _store;
    private readonly ISearchIndex _index;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _high; // every flow up to this id is indexed (or was looked at)
    private long _low; // every flow from this id up is indexed; 1 when the backfill is done

    private SearchIndexer(IAuditStore store, ISearchIndex index, ILogger logger)
    {
        _store = store;
        _index = index;
        _logger = logger;
        var queries = store.Queries();
        var latest = queries.LatestFlowId();
        if (index.Range() is var (_, newest) && index.UidOf(newest) != queries.FlowById(newest)?.Flow.Id.ToString())
        {
            // Its newest entry is not the flow the database has under that id: the database was replaced (deleted
            // and made anew at the path). The entries would claim flows as indexed that are not: start afresh.
            index.Clear();
        }

        (_low, _high) = index.Range() is var (low, high) ? (low, Math.Min(high, latest)) : (latest + 1, latest);
        _thread = new Thread(Run) { IsBackground = true, Name = "MiAudit search index", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>Starts indexing; null (and one warning) when the index cannot be opened.</summary>
    public static SearchIndexer? Start(StoreAddress address, ILogger logger)
    {
        IAuditStore? store = null;
        try
        {
            store = AuditStores.Open(address, readOnly: true);
            return new SearchIndexer(store, store.SearchIndex(), logger);
        }
        catch (Exception e) when (e is StorageException or System.Data.Common.DbException or IOException or UnauthorizedAccessException)
        {
            store?.Dispose();
            logger.LogWarning("The web UI's search index is off ({Reason}): searches decode stored flows as they go", e.Message);
            return null;
        }
    }

    public ISearchIndex Index => _index;

    /// <summary>Flows below <c>Low</c> are not indexed yet, nor above <c>High</c>.</summary>
    public (long Low, long High) Coverage => (Interlocked.Read(ref _low), Interlocked.Read(ref _high));

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (!IndexNew() && !Backfill())
                {
                    _stop.Token.WaitHandle.WaitOne(Idle);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return; // the store closed under a batch while stopping
            }
            catch (Exception e)
            {
                // Whatever went wrong (a flow the decoder chokes on, a locked index file), the proxy runs on.
                _logger.LogWarning("Indexing for search failed ({Reason}); trying again", e.Message);
                _stop.Token.WaitHandle.WaitOne(Idle * 5);
            }
        }
    }

    /// <summary>Indexes the next flows above <see cref="_high"/>; false when there were none.</summary>
    private bool IndexNew()
    {
        var queries = _store.Queries();
        var latest = queries.LatestFlowId();
        if (latest <= _high)
        {
            return false;
        }

        // A window of ids, not the newest page: a burst of flows is indexed in order, none skipped.
        var upTo = Math.Min(latest, _high + Batch);
        Add(queries, queries.FlowPage(new FlowPageQuery { AfterId = _high, BeforeId = upTo + 1, Limit = Batch }));
        Interlocked.Exchange(ref _high, upTo);
        return true;
    }

    /// <summary>Indexes the next older flows below <see cref="_low"/>; false when the backfill is done.</summary>
    private bool Backfill()
    {
        if (_low <= 1)
        {
            return false;
        }

        var queries = _store.Queries();
        var page = queries.FlowPage(new FlowPageQuery { BeforeId = _low, Limit = Batch });
        Add(queries, page);
        Interlocked.Exchange(ref _low, page.Count == 0 ? 1 : page[^1].RowId);
        return true;
    }

    private void Add(IAuditQueries queries, IReadOnlyList<FlowSummary> page)
    {
        var entries = new List<SearchEntry>(page.Count);
        foreach (var summary in page)
        {
            if (queries.FlowById(summary.RowId) is { } stored)
            {
                entries.Add(new SearchEntry(stored.RowId, stored.Flow.Id.ToString(), SearchText.Of(stored.Flow, SearchEntry.MaxText)));
            }
        }

        if (entries.Count > 0)
        {
            _index.Add(entries);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
        _index.Dispose();
        _store.Dispose();
        _stop.Dispose();
    }
}
