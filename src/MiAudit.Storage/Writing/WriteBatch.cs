namespace MiAudit.Storage.Writing;

/// <summary>What one writer operation does to the stored flows.</summary>
internal enum WriteKind
{
    /// <summary>Insert the record (final, or unanalysed).</summary>
    Insert,

    /// <summary>The flow was stored unanalysed earlier: complete that row with the final record's analysis.</summary>
    Supersede,

    /// <summary>The flow was stored unanalysed earlier and turned out not to be kept: remove it.</summary>
    Delete,

    /// <summary>
    /// A snapshot of a running exchange, or the finished flow after one: the snapshot stored before is replaced; a
    /// finished row already there stays (a late snapshot is then dropped).
    /// </summary>
    Replace,

    /// <summary>A finished flow stored before whose analysis changed later: its row is replaced (not counted again).</summary>
    Revise,
}

internal readonly record struct WriteOperation(WriteKind Kind, Guid FlowId, FlowRecord? Record);

/// <summary>
/// One transaction's worth of operations. It is kept until the transaction committed into a file that is still the one
/// at the database's path, so a batch that went into a deleted file can be written again elsewhere.
/// </summary>
internal sealed class WriteBatch
{
    public List<WriteOperation> Operations { get; } = [];

    /// <summary>Flows whose final record is in this batch (what "written" counts).</summary>
    public int FinalFlows { get; private set; }

    public int Count => Operations.Count;

    /// <summary>The rows the batch inserts: flows, their findings and WebSocket messages.</summary>
    public int Rows { get; private set; }

    public void Add(WriteKind kind, FlowRecord record)
    {
        Operations.Add(new WriteOperation(kind, record.Flow.Id, record));
        Rows += RowsOf(record);
        if (!record.AnalysisPending && !record.Flow.InProgress && kind != WriteKind.Revise)
        {
            FinalFlows++;
        }
    }

    /// <summary>The rows a record inserts: its flow, findings and WebSocket messages.</summary>
    public static int RowsOf(FlowRecord record) => 1 + record.Findings.Count + record.Flow.WebSocketMessages.Count;

    public void Delete(Guid flowId) => Operations.Add(new WriteOperation(WriteKind.Delete, flowId, null));

    public IEnumerable<FlowRecord> Records => Operations.Where(o => o.Record is not null).Select(o => o.Record!);

    public void Clear()
    {
        Operations.Clear();
        FinalFlows = 0;
        Rows = 0;
    }
}
