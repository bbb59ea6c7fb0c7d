using System.Threading.Channels;
using MiAudit.Flows;
using Microsoft.Extensions.Logging;

namespace MiAudit.Proxy.Capture;

/// <summary>
/// Hands finished flows to the observers on background loops (one per core), so detection and storage never delay a
/// response; observers must therefore be thread-safe. The queue is bounded: when observers fall behind, finishing a
/// flow waits (back-pressure) instead of dropping it.
/// </summary>
public sealed class FlowDispatcher : IAsyncDisposable
{
    private readonly Channel<Flow> _queue;
    private readonly IReadOnlyList<IFlowObserver> _observers;
    private readonly IRequestObserver[] _requestObservers;
    private readonly IFlowJournal[] _journals;
    private readonly ILogger _logger;
    private readonly Task[] _loops;
    private long _dispatched;

    private readonly BodyMemoryBudget _memory;

    public FlowDispatcher(IEnumerable<IFlowObserver> observers, int capacity, long bodyBytes, ILogger<FlowDispatcher> logger)
    {
        _memory = new BodyMemoryBudget(bodyBytes);
        _observers = observers.ToArray();
        _requestObservers = _observers.OfType<IRequestObserver>().ToArray();
        _journals = _observers.OfType<IFlowJournal>().ToArray();
        _logger = logger;
        _queue = Channel.CreateBounded<Flow>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
        _loops = Enumerable.Range(0, Math.Clamp(Environment.ProcessorCount, 1, 4)).Select(_ => Task.Run(RunAsync)).ToArray();
    }

    /// <summary>Flows handed to every observer so far.</summary>
    public long Dispatched => Interlocked.Read(ref _dispatched);

    /// <summary>Tells request observers about a request head; <paramref name="request"/> is only built when someone listens.</summary>
    public void ObserveRequest(Func<Flow> request)
    {
        if (_requestObservers.Length == 0)
        {
            return;
        }

        var flow = request();
        foreach (var observer in _requestObservers)
        {
            try
            {
                observer.OnRequest(flow);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Request observer {Observer} failed on {Method} {Url}", observer.GetType().Name, flow.Method, flow.Url);
            }
        }
    }

    /// <summary>
    /// Hands a snapshot of a running exchange to the observers only if the queue takes it at once: a snapshot must never
    /// hold up the flows that finished (whose journalling a kill -9 depends on), and the next snapshot or the finished
    /// flow carries everything a skipped one would have.
    /// </summary>
    public bool TryPublishSnapshot(Flow snapshot)
    {
        if (_observers.Count == 0 || !_memory.TryAcquire(BodyMemoryBudget.SizeOf(snapshot)))
        {
            return false;
        }

        if (_queue.Writer.TryWrite(snapshot))
        {
            return true;
        }

        _memory.Release(BodyMemoryBudget.SizeOf(snapshot));
        return false;
    }

    public async ValueTask PublishAsync(Flow flow)
    {
        if (_observers.Count == 0)
        {
            return;
        }

        // A snapshot of a running exchange is not journalled: the finished flow will be, and replaces it.
        foreach (var journal in flow.InProgress ? [] : _journals)
        {
            try
            {
                journal.OnFlowFinished(flow);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Flow journal {Journal} failed on {Method} {Url}", journal.GetType().Name, flow.Method, flow.Url);
            }
        }

        try
        {
            await _memory.AcquireAsync(BodyMemoryBudget.SizeOf(flow));
            await _queue.Writer.WriteAsync(flow);
        }
        catch (ChannelClosedException)
        {
            // Only a connection that outlived the shutdown drain gets here; say so rather than lose it silently.
            _logger.LogWarning("Flow {Method} {Url} finished after shutdown and was not recorded", flow.Method, flow.Url);
        }
    }

    private async Task RunAsync()
    {
        await foreach (var flow in _queue.Reader.ReadAllAsync())
        {
            foreach (var observer in _observers)
            {
                try
                {
                    await observer.OnFlowAsync(flow, CancellationToken.None);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Flow observer {Observer} failed on {Method} {Url}", observer.GetType().Name, flow.Method, flow.Url);
                }
            }

            _memory.Release(BodyMemoryBudget.SizeOf(flow));
            if (!flow.InProgress)
            {
                Interlocked.Increment(ref _dispatched);
            }
        }
    }

    /// <summary>Stops accepting flows and waits until every queued flow reached the observers.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }
}
