using Microsoft.Extensions.Logging;
using MiAudit.Detection.Masking;
using MiAudit.Storage.Reading;
using MiAudit.Storage.Writing;

namespace MiAudit.Storage;

/// <summary>
/// The evidence store, whatever engine holds it: the embedded SQLite file, or a PostgreSQL database shared by a lab's
/// proxies. Everything above storage (the CLI, reports, the web UI) sees only this seam; <see cref="AuditStores.Open"/>
/// picks the backend from the location. docs/architecture.md says how to add a backend.
/// </summary>
public interface IAuditStore : IDisposable
{
    /// <summary>Where the store is, for messages: a file path, or a PostgreSQL URL without its password.</summary>
    string Location { get; }

    ISessionStore Sessions { get; }

    /// <summary>Streaming reads; with a masking policy every row and flow is masked before the caller sees it.</summary>
    IAuditQueries Queries(MaskingPolicy? masking = null);

    /// <summary>
    /// What <c>--mask</c> hides: every session's device profile and every identifier a finding holds, in the whole
    /// store, whatever an export selects.
    /// </summary>
    MaskingPolicy StoredMasking();

    /// <summary>Synchronous writes for offline work (HAR import, rescans), on a connection of their own so that a
    /// rescan can write while it streams the flows it reads.</summary>
    IBatchWriter BatchWriter(string ruleSetHash);

    /// <summary>The store's search index (created when missing): written by an indexer, searched by the UI.</summary>
    Search.ISearchIndex SearchIndex();

    /// <summary>The live writer of a running audit (durability, spill files and write-back as in docs/storage.md).</summary>
    FlowWriter FlowWriter(long sessionId, string ruleSetHash, ILogger<FlowWriter> logger);
}

/// <summary>Creates, closes and lists sessions.</summary>
public interface ISessionStore
{
    /// <exception cref="DuplicateSessionLabelException">A session has that label already: reports would merge the two.</exception>
    long Start(string label, string miauditVersion, string ruleSetHash, string? deviceProfile, string? settingsJson, DateTimeOffset startedAt);

    /// <summary><paramref name="wanted"/> if no session has it yet, else the first free "wanted (2)", "wanted (3)" ….</summary>
    string FreeLabel(string wanted);

    void End(long sessionId, DateTimeOffset endedAt);

    /// <summary>Removes a session that never recorded a flow (a run that failed to start).</summary>
    void Discard(long sessionId);

    IReadOnlyList<AuditSession> List();

    /// <summary>Flows stored before detection ran on them (a run ended first); <c>miaudit scan</c> analyses them.</summary>
    long UnanalysedFlows();

    /// <summary>The device profile and settings JSON a session was recorded with (what <c>scan</c> reuses).</summary>
    (string? DeviceProfile, string? Settings) RecordedWith(long sessionId);

    /// <summary>Records the rule set that produced the session's findings now (after a scan).</summary>
    void SetRuleSetHash(long sessionId, string ruleSetHash);

    /// <summary>Sessions named by id or label (a label may name several sessions in an old database).</summary>
    IReadOnlyList<long> Resolve(string idOrLabel);
}

/// <summary>Streaming reads: rows come one at a time, so exports of millions of findings use constant memory.</summary>
public interface IAuditQueries
{
    /// <summary>Findings with their flow and session, oldest first.</summary>
    IEnumerable<FindingRow> Findings(FindingFilter filter);

    /// <summary>Stored flows (with their findings) in time order; with a findings filter, only flows with a matching finding.</summary>
    /// <param name="byCompletion">In the order they finished (the order live analysis saw them) rather than started.</param>
    IEnumerable<StoredFlow> Flows(FindingFilter filter, bool byCompletion = false);

    /// <summary>What was not decrypted, per session label, host and reason; the session and time parts of the filter apply.</summary>
    IReadOnlyList<NotDecryptedHost> NotDecrypted(FindingFilter filter);

    /// <summary>One stored flow by its row id (the <c>flow_id</c> of its findings), or null.</summary>
    StoredFlow? FlowById(long rowId);

    /// <summary>A page of the flow list, newest first, without bodies: what a browsing view shows.</summary>
    IReadOnlyList<FlowSummary> FlowPage(FlowPageQuery query);

    /// <summary>The row id of the newest flow (0 in an empty store): a live view asks whether anything arrived.</summary>
    long LatestFlowId();
}

/// <summary>Offline writes, committed every few hundred rows: a large import is fast and an interrupted one keeps what it finished.</summary>
public interface IBatchWriter : IDisposable
{
    /// <summary>Stores a flow with its findings; returns its row id.</summary>
    long Insert(long sessionId, FlowRecord record);

    /// <summary>Replaces a stored flow's findings (a rescan); the flow then counts as analysed.</summary>
    void ReplaceFindings(long flowRowId, IReadOnlyList<Detection.Findings.Finding> findings);

    void Commit();
}
