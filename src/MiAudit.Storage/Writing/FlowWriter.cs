using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using MiAudit.Flows;
using MiAudit.Storage.Har;
using MiAudit.Storage.Reading;

namespace MiAudit.Storage.Writing;

/// <summary>
/// The single writer: flows queue up (bounded; a full queue makes the caller wait rather than lose a flow) and are
/// written in batched transactions by one background loop, off the proxy's path. Each batch commits as soon as the
/// queue is drained, so a flow is on disk milliseconds after it finished, and a killed process loses nothing committed.
/// A batch the database still refuses after retries (a full disk, a lock held for long) is saved as a HAR file beside
/// the database, or in the working or temporary directory when that disk is the full one, for <c>miaudit import-har</c>.
/// </summary>
public sealed class FlowWriter : IAsyncDisposable
{
    private const int MaxBatch = 500;
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    private readonly SqliteConnection _connection;
    private readonly string _databasePath;
    private readonly long _sessionId;
    private readonly string _sessionLabel;
    private readonly string _miauditVersion;
    private readonly string _ruleSetHash;
    private readonly ILogger _logger;
    private readonly Channel<FlowRecord> _queue;
    private readonly BodyMemoryBudget _memory = new(128L * 1024 * 1024);
    private readonly Task _loop;
    private long _written;
    private long _spilled;
    private long _failed;

    public FlowWriter(string databasePath, long sessionId, string ruleSetHash, int capacity, ILogger<FlowWriter> logger)
    {
        _connection = AuditDatabase.Open(databasePath);
        _databasePath = Path.GetFullPath(databasePath);
        _sessionId = sessionId;
        (_sessionLabel, _miauditVersion) = new SessionStore(_connection).Identity(sessionId);
        _ruleSetHash = ruleSetHash;
        _logger = logger;
        _queue = Channel.CreateBounded<FlowRecord>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Flows committed to the database.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Flows the database refused after retries, saved to a HAR file instead (each file logged).</summary>
    public long Spilled => Interlocked.Read(ref _spilled);

    /// <summary>Flows that could be written neither to the database nor to a HAR file (each batch logged).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Queued, not yet committed.</summary>
    public int Pending => _queue.Reader.Count;

    /// <summary>Queues a flow; waits while the queue is full (by count, or by the body bytes it holds).</summary>
    public async ValueTask WriteAsync(FlowRecord record, CancellationToken cancellationToken = default)
    {
        await _memory.AcquireAsync(BodyMemoryBudget.SizeOf(record.Flow));
        await _queue.Writer.WriteAsync(record, cancellationToken);
    }

    private async Task RunAsync()
    {
        using var inserter = new FlowInserter(_connection);
        var batch = new List<FlowRecord>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            await CommitWithRetriesAsync(inserter, batch);
            foreach (var record in batch)
            {
                _memory.Release(BodyMemoryBudget.SizeOf(record.Flow));
            }

            batch.Clear();
        }
    }

    private async Task CommitWithRetriesAsync(FlowInserter inserter, List<FlowRecord> batch)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var transaction = inserter.BeginTransaction();
                foreach (var record in batch)
                {
                    inserter.Insert(_sessionId, record, _ruleSetHash);
                }

                transaction.Commit();
                Interlocked.Add(ref _written, batch.Count);
                return;
            }
            catch (SqliteException e) when (attempt < RetryDelays.Length)
            {
                _logger.LogWarning("Writing {Count} flows failed ({Reason}); retrying in {Delay} ms", batch.Count, e.Message, RetryDelays[attempt].TotalMilliseconds);
                await Task.Delay(RetryDelays[attempt]);
            }
            catch (SqliteException e)
            {
                // One line per batch (a full disk fails every batch), saying where the flows went or what was lost.
                var flagged = batch.Count(r => r.Findings.Count > 0);
                if (Spill(batch) is { } file)
                {
                    Interlocked.Add(ref _spilled, batch.Count);
                    _logger.LogError("{Count} flows ({Flagged} with findings) could not be written to the database ({Reason}); saved to {File} instead. "
                        + "Bring them back with: miaudit import-har \"{File}\" --db \"{Database}\" --session-label \"{Label} (recovered)\"",
                        batch.Count, flagged, e.Message, file, file, _databasePath, _sessionLabel);
                    return;
                }

                Interlocked.Add(ref _failed, batch.Count);
                _logger.LogError("{Count} flows NOT stored ({Flagged} with findings): {Reason}, and no directory would take a HAR file of them. First: {Method} {Url}",
                    batch.Count, flagged, e.Message, batch[0].Flow.Method, batch[0].Flow.Url);
                return;
            }
        }
    }

    /// <summary>Writes the batch as HAR into the first directory that takes it; the file's path, or null.</summary>
    private string? Spill(List<FlowRecord> batch)
    {
        var name = $"{Path.GetFileName(_databasePath)}.unsaved-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture)}.har";
        string?[] directories = [Path.GetDirectoryName(_databasePath), Environment.CurrentDirectory, Path.GetTempPath()];
        foreach (var directory in directories.OfType<string>().Distinct())
        {
            var file = Path.Combine(directory, name);
            try
            {
                using (var output = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
                {
                    HarWriter.Write(batch.Select(r => new StoredFlow(0, _sessionId, _sessionLabel, r.Flow, r.Findings)), output, mask: false, _miauditVersion);
                    output.Flush(flushToDisk: true);
                }

                return file;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Could not save unstored flows to {File}: {Reason}", file, e.Message);
                TryDelete(file);
            }
        }

        return null;
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A half-written file on a full disk is removed when possible; if not, the log names it.
        }
    }

    /// <summary>Stops accepting flows, writes everything queued, and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue.Writer.TryComplete())
        {
            await _loop;
            await _connection.DisposeAsync();
        }
    }
}
