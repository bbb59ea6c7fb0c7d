using System.Diagnostics;
using System.Collections.Concurrent;
using System.Data.Common;
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
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMilliseconds(500);

    private const int MaxBatch = 500;

    // Flows with hundreds of findings each make long transactions too (500 verdicts of a telemetry upload with 500
    // findings each is 250,000 rows), and staged flows wait behind them: a batch also stops at this many rows.
    private const int MaxBatchRows = 2_000;

    // Large bodies make long transactions; staged flows wait behind them, so a batch also stops at this many body bytes.
    private const long MaxBatchBytes = 2L << 20;

    // Flows gone stale are written first, up to this many body bytes a batch; queued verdicts only fill what is left.
    private const long MaxStaleBytes = 8L << 20;

    // What a queued record costs besides its bodies (headers, findings, objects); bounds a queue of small flows.
    private const long RecordOverhead = 16 * 1024;
    private const long MaxSpillBytes = 4L << 30;
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(1);

    // Group commit: woken by a first record, the writer waits this long for the records right behind it, so a busy
    // proxy commits (and checks the file) once per few dozen flows instead of once per flow. Small next to StaleAfter.
    private static readonly TimeSpan GroupWindow = TimeSpan.FromMilliseconds(5);

    private readonly IEvidenceBackend _backend;
    private readonly string _databasePath; // for messages: a path, or a URL without its password
    private readonly SessionRow _session;
    private readonly string _ruleSetHash;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Operation> _operations = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly BodyMemoryBudget _memory = new(128L * 1024 * 1024);
    private readonly ConcurrentDictionary<Guid, Staged> _staged = new();
    private readonly ConcurrentQueue<(Guid Id, long StagedAt)> _stagedOrder = new();
    private readonly HashSet<Guid> _storedUnanalysed = []; // the writer thread's own
    private readonly HashSet<Guid> _settledEarly = []; // the writer thread's own: verdicts written before their turn
    private readonly HashSet<Guid> _snapshotted = []; // the writer thread's own: running exchanges with a snapshot row
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;
    private int _stagedCount;
    private IEvidenceTarget? _database;
    private EvidenceFile? _spill;
    private long _lastHealthCheck = Stopwatch.GetTimestamp();
    private long _written;
    private long _spilled;
    private long _failed;
    private long _unanalysed;

    /// <summary>A writer into the SQLite file at <paramref name="databasePath"/>.</summary>
    /// <exception cref="StorageException">The database cannot be opened.</exception>
    public FlowWriter(string databasePath, long sessionId, string ruleSetHash, ILogger<FlowWriter> logger)
        : this(new Sqlite.SqliteEvidence(Path.GetFullPath(databasePath)), sessionId, ruleSetHash, logger)
    {
    }

    /// <exception cref="StorageException">The store cannot be opened.</exception>
    internal FlowWriter(IEvidenceBackend backend, long sessionId, string ruleSetHash, ILogger<FlowWriter> logger)
    {
        _backend = backend;
        _databasePath = backend.Display;
        _ruleSetHash = ruleSetHash;
        _logger = logger;
        _session = backend.Session(sessionId);
        _database = backend.Open(_session);
        WriteBackLeftBehind();
        _thread = new Thread(() =>
        {
            try
            {
                Run();
                _stopped.SetResult();
            }
            catch (Exception e)
            {
                _stopped.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "MiAudit writer",
        };
        _thread.Start();
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
    /// <see cref="Discard"/> follows within <see cref="StaleAfter"/>, it is stored unanalysed. Never waits; the writer
    /// sees it at once, not behind the operations queued before it.
    /// </summary>
    public void Stage(Flow flow)
    {
        if (Volatile.Read(ref _closed))
        {
            return;
        }

        _staged[flow.Id] = new Staged(flow);
        _stagedOrder.Enqueue((flow.Id, Stopwatch.GetTimestamp()));
        if (Interlocked.Increment(ref _stagedCount) == 1)
        {
            _wake.Release(); // the writer may be asleep until its next health check
        }
    }

    /// <summary>
    /// Queues a flow's final record; waits while the queued records hold too much memory (their bodies, and a fixed
    /// share per record so that thousands of small ones are bounded too).
    /// </summary>
    public async ValueTask WriteAsync(FlowRecord record, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed), this);
        await _memory.AcquireAsync(MemoryOf(record));
        if (!record.Flow.InProgress)
        {
            // A snapshot is no verdict on the finished flow: analysed late, it can come while that flow waits for its own.
            Settle(record.Flow.Id, record);
        }

        Enqueue(new Operation(record.Flow.Id, record));
    }

    /// <summary>
    /// A finished flow's record again, after its verdict (<see cref="WriteAsync"/> or <see cref="Discard"/>) was queued:
    /// its analysis changed since (a page visited later made it a leak). The stored row, if any, is replaced; a flow
    /// that was not kept is stored now.
    /// </summary>
    /// <param name="wasStored">Whether the first verdict kept the flow (then it is not counted again).</param>
    public async ValueTask ReviseAsync(FlowRecord record, bool wasStored, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed), this);
        await _memory.AcquireAsync(MemoryOf(record));
        Enqueue(new Operation(record.Flow.Id, record, wasStored ? WriteKind.Revise : WriteKind.Insert));
    }

    /// <summary>A staged flow that is not to be kept after all (the store policy keeps flagged flows only).</summary>
    public void Discard(Guid flowId)
    {
        Settle(flowId, null);
        Enqueue(new Operation(flowId, null));
    }

    /// <summary>
    /// Hands the verdict to the staged flow too: a writer that is behind reaches the flow through its stage time first,
    /// and then writes the verdict once, instead of the unanalysed flow now and the verdict again later.
    /// </summary>
    private void Settle(Guid flowId, FlowRecord? record)
    {
        if (_staged.TryGetValue(flowId, out var staged))
        {
            staged.Settle(record);
        }
    }

    private static long MemoryOf(FlowRecord record) => BodyMemoryBudget.SizeOf(record.Flow) + RecordOverhead;

    private void Enqueue(Operation operation)
    {
        _operations.Enqueue(operation);
        _wake.Release();
    }

    /// <summary>The writer's own thread: a thread-pool thread can wait seconds for its turn when detection keeps the pool busy.</summary>
    private void Run()
    {
        var batch = new WriteBatch();
        while (true)
        {
            var closing = Volatile.Read(ref _closed);
            _wake.Wait(closing ? TimeSpan.Zero : UntilDue());
            if (!closing && !_operations.IsEmpty && _operations.Count < MaxBatch)
            {
                Thread.Sleep(GroupWindow);
            }

            var batchBytes = StoreStale(batch, closing ? long.MaxValue : Stopwatch.GetTimestamp(), 0);
            var released = 0L;
            while (batch.Count < MaxBatch && batch.Rows < MaxBatchRows && batchBytes + released < MaxBatchBytes && _operations.TryDequeue(out var operation))
            {
                released += Apply(operation, batch);
            }

            Commit(batch);
            _memory.Release(released);
            CheckHealthWhenDue();
            if (closing && _operations.IsEmpty && _stagedOrder.IsEmpty)
            {
                break;
            }
        }

        CheckHealth();
    }

    /// <summary>How long the writer may sleep: until the oldest staged flow goes stale, or the next health check.</summary>
    private TimeSpan UntilDue()
    {
        if (!_operations.IsEmpty)
        {
            return TimeSpan.Zero;
        }

        var now = Stopwatch.GetTimestamp();
        var untilHealth = HealthInterval - Stopwatch.GetElapsedTime(_lastHealthCheck, now);
        var until = _stagedOrder.TryPeek(out var oldest) ? Min(StaleAfter - Stopwatch.GetElapsedTime(oldest.StagedAt, now), untilHealth) : untilHealth;
        return until < TimeSpan.Zero ? TimeSpan.Zero : until;
    }

    /// <summary>Adds what the operation means to the batch; returns the memory it releases once committed.</summary>
    private long Apply(Operation operation, WriteBatch batch)
    {
        var released = operation.Record is { } held ? MemoryOf(held) : 0;
        if (operation.Revision is { } revision)
        {
            // Queued after the flow's verdict, so that verdict is applied already: no stage or snapshot state is left.
            batch.Add(revision, operation.Record!);
            return released;
        }

        if (operation.Record is { Flow.InProgress: true } snapshot)
        {
            // Snapshots are best effort while spilling; in the database a late one finds the finished row and is dropped.
            if (_spill is null)
            {
                batch.Add(WriteKind.Replace, snapshot);
                _snapshotted.Add(operation.FlowId);
            }

            return released;
        }

        if (_settledEarly.Remove(operation.FlowId))
        {
            return released; // written when its stage time came, ahead of this queue
        }

        // The flow was staged before its verdict was queued: it is either still staged, or stored unanalysed by now.
        var stillStaged = Unstage(operation.FlowId);
        var storedUnanalysed = !stillStaged && _storedUnanalysed.Remove(operation.FlowId);
        if (operation.Record is not { } record)
        {
            var hadSnapshot = _snapshotted.Remove(operation.FlowId);
            if (storedUnanalysed || hadSnapshot)
            {
                batch.Delete(operation.FlowId);
            }

            return released;
        }

        batch.Add(storedUnanalysed ? WriteKind.Supersede : InsertKind(operation.FlowId), record);
        return released;
    }

    /// <summary>How a finished flow goes in: over its snapshot, if a running exchange had one stored.</summary>
    private WriteKind InsertKind(Guid flowId) => _snapshotted.Remove(flowId) ? WriteKind.Replace : WriteKind.Insert;

    private bool Unstage(Guid flowId)
    {
        if (!_staged.TryRemove(flowId, out _))
        {
            return false;
        }

        Interlocked.Decrement(ref _stagedCount);
        return true;
    }

    /// <summary>
    /// Adds staged flows older than <see cref="StaleAfter"/> (all, when closing) to the batch, unanalysed, oldest first,
    /// until it holds <see cref="MaxStaleBytes"/>; returns the body bytes it holds then.
    /// </summary>
    private long StoreStale(WriteBatch batch, long now, long batchBytes)
    {
        while (batchBytes < MaxStaleBytes && _stagedOrder.TryPeek(out var oldest)
            && (now == long.MaxValue || Stopwatch.GetElapsedTime(oldest.StagedAt, now) >= StaleAfter))
        {
            _stagedOrder.TryDequeue(out _);
            if (!_staged.TryRemove(oldest.Id, out var staged))
            {
                continue; // its verdict came in time
            }

            Interlocked.Decrement(ref _stagedCount);
            var (settled, verdict) = staged.Take();
            if (settled && (verdict is null || WriteBatch.RowsOf(verdict) <= MaxBatchRows - batch.Rows))
            {
                // The verdict is queued behind other work: write it now, in stage order, and skip it when its turn comes.
                _settledEarly.Add(oldest.Id);
                if (verdict is not null)
                {
                    batchBytes += BodyMemoryBudget.SizeOf(verdict.Flow);
                    batch.Add(InsertKind(oldest.Id), verdict);
                }
                else if (_snapshotted.Remove(oldest.Id))
                {
                    batch.Delete(oldest.Id);
                }

                continue;
            }

            // Not settled, or settled with more findings than this batch has room for: the flow itself goes on disk now
            // (one row), its analysis when the verdict's turn comes. A writer behind a backlog of findings thus still
            // keeps every finished flow within the stale time plus one short commit.
            batchBytes += BodyMemoryBudget.SizeOf(staged.Flow);
            batch.Add(InsertKind(oldest.Id), FlowRecord.Unanalysed(staged.Flow));
            _storedUnanalysed.Add(oldest.Id);
            Interlocked.Increment(ref _unanalysed);
        }

        return batchBytes;
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
                database.Apply(batch, _session.Id, _ruleSetHash);
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
                    reopened.Apply(batch, _session.Id, _ruleSetHash);
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
                _spill!.Apply(batch, _session.Id, _ruleSetHash);
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
        foreach (var candidate in SpillFile.Candidates(_backend.SpillBase, _session.Id))
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
                var moved = target.WriteBack(spill.Path);
                var spilled = Interlocked.Exchange(ref _spilled, 0);
                Interlocked.Add(ref _written, spilled);
                CloseSpill(keep: false);
                _logger.LogWarning("The evidence database {Database} accepts writes again: {Count} flows moved back from {Spill}", _databasePath, moved, spill.Path);
            }
            catch (Exception e) when (e is DbException or StorageException or IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug("Writing the spill file back failed ({Reason}); trying again in a second", e.Message);
            }
        }
    }

    private void DatabaseVanished()
    {
        _database!.Dispose();
        _database = null;
        SqliteConnection.ClearAllPools();
        ReopenDatabase();

        // Said once the new file exists (or spilling has begun), so the message never runs ahead of what it states.
        _logger.LogError("The evidence database {Database} was deleted or replaced while MiAudit was writing to it; flows stored in it earlier are gone with that file. "
            + "New flows go to {Target}", _databasePath, _database is null ? "the spill file until the path takes writes again" : "a new database at the same path");
    }

    private void ReopenDatabase()
    {
        try
        {
            _database = _backend.Open(_session);
        }
        catch (Exception e) when (e is StorageException or DbException or IOException or UnauthorizedAccessException)
        {
            _database = null;
            StartSpilling(e.Message);
        }
    }

    /// <summary>Spill files from a run that ended before it could write them back: written back now.</summary>
    private void WriteBackLeftBehind()
    {
        foreach (var file in SpillFile.LeftBehind(_backend.SpillBase))
        {
            using var claim = SpillFile.TryClaim(file);
            if (claim is null)
            {
                continue; // another MiAudit on this database is spilling into it right now
            }

            try
            {
                var moved = _database!.WriteBack(file);
                SpillFile.Delete(file);
                _logger.LogWarning("Moved {Count} flows from {Spill}, left by an earlier run, into {Database}", moved, file, _databasePath);
            }
            catch (Exception e) when (e is DbException or StorageException or IOException or UnauthorizedAccessException)
            {
                _logger.LogError("Could not move the flows of {Spill} into {Database}: {Reason}; the file is kept", file, _databasePath, e.Message);
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Stops accepting flows, writes everything queued (staged flows without a verdict as seen), and closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Interlocked.Exchange(ref _closed, true))
        {
            _wake.Release();
            await _stopped.Task;
            if (_spill is not null)
            {
                _logger.LogError("{Count} flows are still in {Spill}: the next 'miaudit run --db \"{Database}\"' moves them into the database", Spilled, _spill.Path, _databasePath);
                CloseSpill(keep: true);
            }

            _database?.Dispose();
        }
    }

    /// <summary>A flow waiting for its verdict; the verdict may arrive while the writer thread takes it.</summary>
    private sealed class Staged(Flow flow)
    {
        private readonly Lock _lock = new();
        private bool _settled;
        private FlowRecord? _verdict;

        public Flow Flow { get; } = flow;

        public void Settle(FlowRecord? verdict)
        {
            lock (_lock)
            {
                (_settled, _verdict) = (true, verdict);
            }
        }

        public (bool Settled, FlowRecord? Verdict) Take()
        {
            lock (_lock)
            {
                return (_settled, _verdict);
            }
        }
    }

    /// <summary>
    /// A verdict for a flow: its final record, or null when it is not to be kept; or a revision of a verdict, with how
    /// it goes in (over the stored row, or as a flow that was not kept).
    /// </summary>
    private readonly record struct Operation(Guid FlowId, FlowRecord? Record, WriteKind? Revision = null);
}
