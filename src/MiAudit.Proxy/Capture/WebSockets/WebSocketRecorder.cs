using MiAudit.Flows;

namespace MiAudit.Proxy.Capture.WebSockets;

/// <summary>
/// The messages of one WebSocket, both directions, as they complete. Memory is bounded per connection: each message
/// keeps at most the capture limit, the connection at most <see cref="MaxKeptMessages"/> messages and 16 MiB (or 4 ×
/// the capture limit); past that only the totals grow. Thread-safe: each direction has its own copy loop.
/// </summary>
internal sealed class WebSocketRecorder(int captureLimit, TimeProvider clock)
{
    public const int MaxKeptMessages = 10_000;

    private readonly Lock _lock = new();
    private readonly List<WebSocketMessage> _messages = [];
    private readonly long _maxKeptBytes = Math.Max(16L << 20, 4L * captureLimit);
    private long _keptBytes;
    private long _reserved;
    private long _clientMessages;
    private long _clientBytes;
    private long _serverMessages;
    private long _serverBytes;
    private string? _lost;

    /// <summary>Why messages stopped being followed, when they did (framing MiAudit could not read).</summary>
    public string? LostReason
    {
        get
        {
            lock (_lock)
            {
                return _lost;
            }
        }
    }

    public MessageBuilder Begin(MessageDirection direction, int opcode, bool compressed)
    {
        lock (_lock)
        {
            var kept = _messages.Count + Pending < MaxKeptMessages;
            var grant = kept ? (int)Math.Clamp(_maxKeptBytes - _keptBytes - _reserved, 0, captureLimit) : 0;
            _reserved += grant;
            Pending += kept ? 1 : 0;
            return new MessageBuilder(direction, clock.GetUtcNow(), opcode, compressed, grant, kept);
        }
    }

    public void Complete(MessageBuilder message, bool ended)
    {
        lock (_lock)
        {
            if (message.Direction == MessageDirection.Client)
            {
                _clientMessages++;
                _clientBytes += message.Length;
            }
            else
            {
                _serverMessages++;
                _serverBytes += message.Length;
            }

            _reserved -= message.Grant;
            if (message.Kept)
            {
                Pending--;
                _keptBytes += message.KeptBytes;
                _messages.Add(message.ToMessage(ended));
            }
        }
    }

    public void Lost(string why)
    {
        lock (_lock)
        {
            _lost ??= why;
        }
    }

    /// <summary>The messages so far, oldest first, and the totals; safe to call while the socket is open.</summary>
    public (IReadOnlyList<WebSocketMessage> Messages, MessageTotals Totals) Snapshot()
    {
        lock (_lock)
        {
            return (_messages.ToArray(), new MessageTotals(_clientMessages, _clientBytes, _serverMessages, _serverBytes));
        }
    }

    private int Pending { get; set; }
}
