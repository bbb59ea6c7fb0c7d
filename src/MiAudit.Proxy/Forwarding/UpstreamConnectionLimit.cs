using System.Diagnostics;
using System.Net.Sockets;

namespace MiAudit.Proxy.Forwarding;

/// <summary>
/// Bounds the upstream connections kept open across all hosts. SocketsHttpHandler pools connections per host with no
/// overall cap, so a phone that visits thousands of names holds thousands of idle sockets (and their descriptors)
/// until each idles out. Past the cap, connections of hosts with no request in flight are closed, least recently used
/// first; a host with a request in flight (a long poll, a WebSocket) is never touched. Closing an idle pooled
/// connection is safe: the handler notices at its next use and opens a new one.
/// </summary>
internal sealed class UpstreamConnectionLimit(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Destination> _destinations = new(StringComparer.OrdinalIgnoreCase);
    private int _open;

    /// <summary>Upstream connections open now.</summary>
    public int Open
    {
        get
        {
            lock (_lock)
            {
                return _open;
            }
        }
    }

    /// <summary>Marks a request to <paramref name="host"/>:<paramref name="port"/> in flight until the result is disposed.</summary>
    public RequestScope BeginRequest(string host, int port)
    {
        lock (_lock)
        {
            var destination = DestinationOf(Key(host, port));
            destination.InFlight++;
            destination.LastUsed = Stopwatch.GetTimestamp();
            return new RequestScope(this, destination);
        }
    }

    /// <summary>The stream for a new upstream connection, counted until it is disposed; makes room past the cap.</summary>
    public NetworkStream Track(string host, int port, Socket socket)
    {
        List<TrackedStream> evicted;
        TrackedStream stream;
        lock (_lock)
        {
            var destination = DestinationOf(Key(host, port));
            stream = new TrackedStream(socket, this, destination);
            destination.Connections.Add(stream);
            _open++;
            evicted = _open > capacity ? IdleBeyondCapacity() : [];
        }

        foreach (var idle in evicted)
        {
            idle.Dispose(); // outside the lock: disposing calls back into Forget
        }

        return stream;
    }

    private List<TrackedStream> IdleBeyondCapacity()
    {
        // Down to 90 % of the cap, so a steady stream of new hosts does not evict on every connection.
        var excess = _open - capacity * 9 / 10;
        var evicted = new List<TrackedStream>();
        foreach (var destination in _destinations.Values.Where(d => d.InFlight == 0 && d.Connections.Count > 0).OrderBy(d => d.LastUsed))
        {
            foreach (var connection in destination.Connections)
            {
                if (evicted.Count >= excess)
                {
                    return evicted;
                }

                evicted.Add(connection);
            }
        }

        return evicted;
    }

    private void EndRequest(Destination destination)
    {
        lock (_lock)
        {
            destination.InFlight--;
            destination.LastUsed = Stopwatch.GetTimestamp();
            ForgetIfUnused(destination);
        }
    }

    private void Forget(TrackedStream stream, Destination destination)
    {
        lock (_lock)
        {
            if (destination.Connections.Remove(stream))
            {
                _open--;
            }

            ForgetIfUnused(destination);
        }
    }

    private void ForgetIfUnused(Destination destination)
    {
        if (destination.InFlight == 0 && destination.Connections.Count == 0)
        {
            _destinations.Remove(destination.Key); // thousands of one-off hosts must not leave thousands of entries
        }
    }

    private Destination DestinationOf(string key)
    {
        if (!_destinations.TryGetValue(key, out var destination))
        {
            destination = new Destination(key);
            _destinations[key] = destination;
        }

        return destination;
    }

    private static string Key(string host, int port) => $"{host.Trim('[', ']')}:{port}";

    internal sealed class Destination(string key)
    {
        public string Key { get; } = key;
        public int InFlight { get; set; }
        public long LastUsed { get; set; } = Stopwatch.GetTimestamp();
        public List<TrackedStream> Connections { get; } = [];
    }

    /// <summary>A request in flight; disposing it ends it.</summary>
    public readonly struct RequestScope : IDisposable
    {
        private readonly UpstreamConnectionLimit? _limit;
        private readonly Destination? _destination;

        internal RequestScope(UpstreamConnectionLimit limit, Destination destination)
        {
            _limit = limit;
            _destination = destination;
        }

        public void Dispose() => _limit?.EndRequest(_destination!);
    }

    /// <summary>A NetworkStream (the handler's fast paths stay) that leaves the count when it is closed, by anyone.</summary>
    internal sealed class TrackedStream(Socket socket, UpstreamConnectionLimit limit, Destination destination) : NetworkStream(socket, ownsSocket: true)
    {
        private int _disposed;

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                limit.Forget(this, destination);
            }

            base.Dispose(disposing);
        }
    }
}
