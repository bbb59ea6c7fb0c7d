namespace MiAudit.Storage.Writing;

/// <summary>
/// How the live <see cref="FlowWriter"/> reaches a backend: it opens the store's write target, and names the local
/// spill files it keeps while that target refuses writes. The writer's promises (staging, group commit, spilling,
/// write-back) are the same for every backend; only these two interfaces differ.
/// </summary>
internal interface IEvidenceBackend
{
    /// <summary>Where the store is, for messages (never with a password).</summary>
    string Display { get; }

    /// <summary>A local path the spill files are named after and put beside (the database file, or a name in the working directory).</summary>
    string SpillBase { get; }

    /// <summary>The session's row as stored, to recreate it in a spill file.</summary>
    SessionRow Session(long sessionId);

    /// <summary>Opens the store for writing; the session's row is made sure of.</summary>
    /// <exception cref="StorageException">The store cannot be opened (or a driver's own exception).</exception>
    IEvidenceTarget Open(SessionRow session);
}

/// <summary>Where the writer commits batches: the evidence database (or a spill file, which is an SQLite one).</summary>
internal interface IEvidenceTarget : IDisposable
{
    /// <summary>Commits the batch in one transaction, or throws and leaves the store as it was.</summary>
    void Apply(WriteBatch batch, long sessionId, string ruleSetHash);

    /// <summary>True when the store at the path is no longer the one written to (an SQLite file deleted or replaced).</summary>
    bool HasMoved();

    /// <summary>Whether a write transaction can start now.</summary>
    bool AcceptsWrites();

    /// <summary>Moves every flow of a spill file into this store in one transaction; returns how many moved.</summary>
    long WriteBack(string spillPath);
}
