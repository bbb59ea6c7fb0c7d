using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using MiAudit.Flows;

namespace MiAudit.Storage.Writing;

/// <summary>
/// The single writer of a running audit, off the proxy's path. Its promises (docs/storage.md):
/// <list type="bullet">
/// <item>A flow <see cref="Stage">staged</see> when it finished is on disk within <see cref="StaleAfter"/> plus one
/// commit, analysed or not: if detection has not delivered its final record by then, the flow is stored as it was seen
/// (<c>analysis_pending</c>) and replaced by the final record later. A kill -9 therefore loses no answered flow.</item>
/// <item>A database that refuses writes (a lock held by another program, a full disk) never makes the proxy wait: flows
/// go to a <see cref="SpillFile"/> and are written back when the database accepts writes again.</item>
/// <item>A database file deleted or replaced under the writer is noticed within a second (and after every commit); the
/// batch that went into the vanished file is written again into a new database at the path.</item>
/// <item>Nothing is counted as written that is not in the file at the database's path.</item>
/// </list>
/// </summary>
public sealed class FlowWriter : IAsyncDisposable
{
    /// <summary>How long a staged flow may wait for its analysis before it is stored without it.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMilliseconds(250);

    private const int MaxBatch = 500;

    // Large bodies make long transactions; staged flows wait behind them, so a batch also stops at this many body bytes.
    private const long MaxBatchBytes = 8L << 20;
    private const long MaxSpillBytes = 4L << 30;
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(1);

    private readonly string _databasePath;
    private readonly long _sessionId;
    private readonly SessionRow _session;
    private readonly string _ruleSetHash;
    private readonly ILogger _logger;
    private readonly Channel<Operation> _operations = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly BodyMemoryBudget _memory = new(128L * 1024 * 1024);
    private readonly Dictionary<Guid, Flow> _staged = [];
    private readonly Queue<(Guid Id, long StagedAt)> _stagedOrder = new();
    private readonly HashSet<Guid> _storedUnanalysed = [];
    private readonly Task _loop;
    private EvidenceFile? _database;
    private EvidenceFile? _spill;
    private long _lastHealthCheck = Stopwatch.GetTimestamp();
    private long _written;
    private long _spilled;
    private long _failed;
    private long _unanalysed;

    /// <exception cref="StorageException">The database cannot be opened.</exception>
    public FlowWriter(string databasePath, long sessionId, string ruleSetHash, int capacity, ILogger<FlowWriter> logger)
    {
        _ = capacity; // the queue is bounded by the body bytes it holds; kept for callers that size it
        _databasePath = Path.GetFullPath(databasePath);
        _sessionId = sessionId;
        _ruleSetHash = ruleSetHash;
        _logger = logger;
        using (var connection = AuditDatabase.Open(_databasePath))
        {
            _session = new SessionStore(connection).Row(sessionId);
        }

        _database = EvidenceFile.Open(_databasePath, _session);
        WriteBackLeftBehind();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Flows whose final record is committed to the database at its path.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Flows in a spill file now, waiting for the database to accept writes again.</summary>
    public long Spilled => Interlocked.Read(ref _spilled);

    /// <summary>Flows that could be written neither to the database nor to a spill file (each batch logged).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Flows stored before their analysis arrived (detection was behind); replaced when it did.</summary>
    public long StoredUnanalysed => Interlocked.Read(ref _unanalysed);

    /// <summary>The spill file used last (it may since have been written back), or null when none was needed.</summary>
    public string? SpillPath { get; private set; }

    /// <summary>
    /// Remembers a flow the moment it finished, before detection: unless <see cref="WriteAsync"/> or
    /// <see cref="Discard"/> follows within <see cref="StaleAfter"/>, it is stored unanalysed. Never waits.
    /// </summary>
    public void Stage(Flow flow) => _operations.Writer.TryWrite(new Operation(OperationKind.Stage, flow.Id, flow, null, Stopwatch.GetTimestamp()));

    /// <summary>Queues a flow's final record; waits only while the queued records hold too many body bytes.</summary>
    public async ValueTask WriteAsync(FlowRecord record, CancellationToken cancellationToken = default)
    {
        await _memory.AcquireAsync(BodyMemoryBudget.SizeOf(record.Flow));
        if (!_operations.Writer.TryWrite(new Operation(OperationKind.Final, record.Flow.Id, null, record, 0)))
        {
            _memory.Release(BodyMemoryBudget.SizeOf(record.Flow));
            throw new ChannelClosedException("the writer is closed");
        }
    }

    /// <summary>A staged flow that is not to be kept after all (the store policy keeps flagged flows only).</summary>
    public void Discard(Guid flowId) => _operations.Writer.TryWrite(new Operation(OperationKind.Discard, flowId, null, null, 0));

    private async Task RunAsync()
    {
        var batch = new WriteBatch();
        while (true)
        {
            if (!await WaitAsync())
            {
                break;
            }

            var released = 0L;
            while (batch.Count < MaxBatch && released < MaxBatchBytes && _operations.Reader.TryRead(out var operation))
            {
                released += Apply(operation, batch);
            }

            StoreStale(batch, Stopwatch.GetTimestamp(), released);
            Commit(batch);
            _memory.Release(released);
            CheckHealthWhenDue();
        }

        // Closing: whatever is still staged never got a verdict; keep it as seen.
        while (_stagedOrder.Count > 0)
        {
            StoreStale(batch, long.MaxValue, 0);
            Commit(batch);
        }

        CheckHealth();
    }

    /// <summary>Waits for operations, or until a staged flow goes stale or a health check is due; false when closed and drained.</summary>
    private async Task<bool> WaitAsync()
    {
        if (_operations.Reader.TryPeek(out _))
        {
            return true;
        }

        var now = Stopwatch.GetTimestamp();
        var untilHealth = HealthInterval - Stopwatch.GetElapsedTime(_lastHealthCheck, now);
        var until = _stagedOrder.TryPeek(out var oldest) ? Min(StaleAfter - Stopwatch.GetElapsedTime(oldest.StagedAt, now), untilHealth) : untilHealth;
        if (until <= TimeSpan.Zero)
        {
            return true;
        }

        using var wake = new CancellationTokenSource(until);
        try
        {
            return await _operations.Reader.WaitToReadAsync(wake.Token);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Adds what the operation means to the batch; returns the body bytes it releases once committed.</summary>
    private long Apply(Operation operation, WriteBatch batch)
    {
        switch (operation.Kind)
        {
            case OperationKind.Stage:
                _staged[operation.FlowId] = operation.Flow!;
                _stagedOrder.Enqueue((operation.FlowId, operation.StagedAt));
                return 0;
            case OperationKind.Final:
                var record = operation.Record!;
                var kind = !_staged.Remove(record.Flow.Id) && _storedUnanalysed.Remove(record.Flow.Id) ? WriteKind.Supersede : WriteKind.Insert;
                batch.Add(kind, record);
                return BodyMemoryBudget.SizeOf(record.Flow);
            default:
                if (!_staged.Remove(operation.FlowId) && _storedUnanalysed.Remove(operation.FlowId))
                {
                    batch.Delete(operation.FlowId);
                }

                return 0;
        }
    }

    /// <summary>Adds staged flows older than <see cref="StaleAfter"/> to the batch, unanalysed, until it holds <see cref="MaxBatchBytes"/>.</summary>
    private void StoreStale(WriteBatch batch, long now, long batchBytes)
    {
        while (batchBytes < MaxBatchBytes && _stagedOrder.TryPeek(out var oldest)
            && (now == long.MaxValue || Stopwatch.GetElapsedTime(oldest.StagedAt, now) >= StaleAfter))
        {
            _stagedOrder.Dequeue();
            if (_staged.Remove(oldest.Id, out var flow))
            {
                batchBytes += BodyMemoryBudget.SizeOf(flow);
                batch.Add(WriteKind.Insert, FlowRecord.Unanalysed(flow));
                _storedUnanalysed.Add(oldest.Id);
                Interlocked.Increment(ref _unanalysed);
            }
        }
    }

    private void Commit(WriteBatch batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        if (_spill is null && _database is { } database)
        {
            try
            {
                database.Apply(batch, _sessionId, _ruleSetHash);
                if (!database.HasMoved())
                {
                    Interlocked.Add(ref _written, batch.FinalFlows);
                    batch.Clear();
                    return;
                }

                // Committed into a file nobody can open any more: this batch must go again, into the file at the path.
                DatabaseVanished();
                if (_spill is null && _database is { } reopened)
                {
                    reopened.Apply(batch, _sessionId, _ruleSetHash);
                    Interlocked.Add(ref _written, batch.FinalFlows);
                    batch.Clear();
                    return;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever the database says (locked, full, I/O error, or a bug of ours), the batch must land somewhere.
                StartSpilling(e.Message);
            }
        }

        SpillBatch(batch);
        batch.Clear();
    }

    private void SpillBatch(WriteBatch batch)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (_spill is null && !OpenSpill())
            {
                break;
            }

            try
            {
                _spill!.Apply(batch, _sessionId, _ruleSetHash);
                Interlocked.Add(ref _spilled, batch.FinalFlows);
                if (_spill.Size() > MaxSpillBytes)
                {
                    _logger.LogError("The spill file {File} passed {Limit} GiB; further flows go to a new one", _spill.Path, MaxSpillBytes >> 30);
                    CloseSpill(keep: true);
                }

                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogError("The spill file {File} refused {Count} flows ({Reason}); trying another place", _spill!.Path, batch.Count, e.Message);
                CloseSpill(keep: true);
            }
        }

        Interlocked.Add(ref _failed, batch.FinalFlows);
        var first = batch.Records.FirstOrDefault()?.Flow;
        _logger.LogError("{Count} flows NOT stored ({Flagged} with findings): neither {Database} nor any spill directory takes writes. First: {Method} {Url}",
            batch.FinalFlows, batch.Records.Count(r => r.Findings.Count > 0), _databasePath, first?.Method, first?.Url);
    }

    private void StartSpilling(string reason)
    {
        if (_spill is null && OpenSpill())
        {
            _logger.LogError("The evidence database {Database} refuses writes ({Reason}); flows go to {Spill} until it accepts them again, then move back",
                _databasePath, reason, _spill!.Path);
        }
    }

    private bool OpenSpill()
    {
        foreach (var candidate in SpillFile.Candidates(_databasePath, _sessionId))
        {
            try
            {
                _spill = EvidenceFile.Open(candidate, _session, recordsDiscards: true);
                SpillPath = candidate;
                return true;
            }
            catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Could not create the spill file {File}: {Reason}", candidate, e.Message);
            }
        }

        return false;
    }

    private void CloseSpill(bool keep)
    {
        var spill = _spill!;
        _spill = null;
        spill.Dispose();
        SqliteConnection.ClearAllPools();
        if (!keep)
        {
            SpillFile.Delete(spill.Path);
        }
    }

    private void CheckHealthWhenDue()
    {
        if (Stopwatch.GetElapsedTime(_lastHealthCheck) >= HealthInterval)
        {
            CheckHealth();
        }
    }

    /// <summary>Notices a vanished database, and writes the spill file back once the database takes writes again.</summary>
    private void CheckHealth()
    {
        _lastHealthCheck = Stopwatch.GetTimestamp();
        if (_database is { } database && database.HasMoved())
        {
            DatabaseVanished();
        }
        else if (_database is null)
        {
            ReopenDatabase();
        }

        if (_spill is { } spill && _database is { } target && target.AcceptsWrites())
        {
            try
            {
                var moved = SpillFile.WriteBack(target.Connection, spill.Path);
                var spilled = Interlocked.Exchange(ref _spilled, 0);
                Interlocked.Add(ref _written, spilled);
                CloseSpill(keep: false);
                _logger.LogWarning("The evidence database {Database} accepts writes again: {Count} flows moved back from {Spill}", _databasePath, moved, spill.Path);
            }
            catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug("Writing the spill file back failed ({Reason}); trying again in a second", e.Message);
            }
        }
    }

    private void DatabaseVanished()
    {
        _logger.LogError("The evidence database {Database} was deleted or replaced while MiAudit was writing to it; flows stored in it earlier are gone with that file. "
            + "New flows go to a new database at the same path", _databasePath);
        _database!.Dispose();
        _database = null;
        SqliteConnection.ClearAllPools();
        ReopenDatabase();
    }

    private void ReopenDatabase()
    {
        try
        {
            _database = EvidenceFile.Open(_databasePath, _session);
        }
        catch (Exception e) when (e is StorageException or SqliteException or IOException or UnauthorizedAccessException)
        {
            _database = null;
            StartSpilling(e.Message);
        }
    }

    /// <summary>Spill files from a run that ended before it could write them back: written back now.</summary>
    private void WriteBackLeftBehind()
    {
        foreach (var file in SpillFile.LeftBehind(_databasePath))
        {
            try
            {
                var moved = SpillFile.WriteBack(_database!.Connection, file);
                SpillFile.Delete(file);
                _logger.LogWarning("Moved {Count} flows from {Spill}, left by an earlier run, into {Database}", moved, file, _databasePath);
            }
            catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
            {
                _logger.LogError("Could not move the flows of {Spill} into {Database}: {Reason}; the file is kept", file, _databasePath, e.Message);
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Stops accepting flows, writes everything queued (staged flows without a verdict as seen), and closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_operations.Writer.TryComplete())
        {
            await _loop;
            if (_spill is not null)
            {
                _logger.LogError("{Count} flows are still in {Spill}: the next 'miaudit run --db \"{Database}\"' moves them into the database", Spilled, _spill.Path, _databasePath);
                CloseSpill(keep: true);
            }

            _database?.Dispose();
        }
    }

    private enum OperationKind
    {
        Stage,
        Final,
        Discard,
    }

    private readonly record struct Operation(OperationKind Kind, Guid FlowId, Flow? Flow, FlowRecord? Record, long StagedAt);
}
