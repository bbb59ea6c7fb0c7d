using System.Globalization;
using System.Data.Common;
using MiAudit.Storage.Sql;

namespace MiAudit.Storage;

/// <summary>An audit session: one run of the proxy under a label such as "mi-browser incognito".</summary>
public sealed record AuditSession(
    long Id,
    string Label,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    string MiAuditVersion,
    string RuleSetHash,
    string? DeviceProfile,
    long Flows,
    long Findings);

/// <summary>A session row as stored (times as stored text), for recreating it in another file.</summary>
internal sealed record SessionRow(long Id, string Label, string StartedAt, string MiAuditVersion, string RuleSetHash, string? DeviceProfile, string? Settings);

/// <summary>
/// Sessions in either engine: the statements are shared, the <see cref="SqlDialect"/> says how times are stored.
/// </summary>
public sealed class SessionStore : ISessionStore
{
    private readonly DbConnection _connection;
    private readonly SqlDialect _dialect;

    /// <param name="connection">An open connection to a MiAudit database (SQLite or PostgreSQL).</param>
    public SessionStore(DbConnection connection)
        : this(connection, SqlDialects.For(connection))
    {
    }

    internal SessionStore(DbConnection connection, SqlDialect dialect)
    {
        _connection = connection;
        _dialect = dialect;
    }

    public long Start(string label, string miauditVersion, string ruleSetHash, string? deviceProfile, string? settingsJson, DateTimeOffset startedAt)
    {
        if (List().FirstOrDefault(s => s.Label == label) is { } existing)
        {
            throw Duplicate(label, existing);
        }

        using var command = Command("""
            INSERT INTO sessions (label, started_at, miaudit_version, rule_set_hash, device_profile, settings)
            VALUES (@label, @started, @version, @hash, @profile, @settings) RETURNING id;
            """, ("@label", label), ("@started", startedAt), ("@version", miauditVersion), ("@hash", ruleSetHash),
            ("@profile", deviceProfile), ("@settings", settingsJson));
        try
        {
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        catch (DbException e) when (_dialect.IsUniqueViolation(e))
        {
            // Another proxy writing to the same database took the label between the check and the insert.
            throw Duplicate(label, List().FirstOrDefault(s => s.Label == label));
        }
    }

    private static DuplicateSessionLabelException Duplicate(string label, AuditSession? existing) => new(
        $"a session labelled '{label}' exists already{(existing is null ? "" : $" (id {existing.Id}, started {existing.StartedAt:yyyy-MM-dd HH:mm} UTC)")}; choose another label, or another --db");

    public string FreeLabel(string wanted)
    {
        var taken = List().Select(s => s.Label).ToHashSet(StringComparer.Ordinal);
        var label = wanted;
        for (var n = 2; taken.Contains(label); n++)
        {
            label = $"{wanted} ({n})";
        }

        return label;
    }

    public void End(long sessionId, DateTimeOffset endedAt) =>
        Execute("UPDATE sessions SET ended_at = @ended WHERE id = @id;", ("@ended", endedAt), ("@id", sessionId));

    public void Discard(long sessionId) =>
        Execute("DELETE FROM sessions WHERE id = @id AND NOT EXISTS (SELECT 1 FROM flows WHERE session_id = @id);", ("@id", sessionId));

    public IReadOnlyList<AuditSession> List()
    {
        using var command = Command("""
            SELECT s.id, s.label, s.started_at, s.ended_at, s.miaudit_version, s.rule_set_hash, s.device_profile,
                   (SELECT COUNT(*) FROM flows f WHERE f.session_id = s.id),
                   (SELECT COUNT(*) FROM findings x JOIN flows f ON f.id = x.flow_id WHERE f.session_id = s.id)
            FROM sessions s ORDER BY s.id;
            """);
        using var reader = command.ExecuteReader();
        var sessions = new List<AuditSession>();
        while (reader.Read())
        {
            sessions.Add(new AuditSession(
                SqlDialect.Long(reader, 0),
                reader.GetString(1),
                _dialect.ReadTime(reader, 2),
                reader.IsDBNull(3) ? null : _dialect.ReadTime(reader, 3),
                reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                SqlDialect.Long(reader, 7),
                SqlDialect.Long(reader, 8)));
        }

        return sessions;
    }

    public long UnanalysedFlows()
    {
        using var command = Command("SELECT COUNT(*) FROM flows WHERE analysis_pending = 1;");
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public (string? DeviceProfile, string? Settings) RecordedWith(long sessionId)
    {
        var row = Row(sessionId);
        return (row.DeviceProfile, row.Settings);
    }

    public void SetRuleSetHash(long sessionId, string ruleSetHash) =>
        Execute("UPDATE sessions SET rule_set_hash = @hash WHERE id = @id;", ("@hash", ruleSetHash), ("@id", sessionId));

    /// <summary>A session's row as stored, to recreate it in another file.</summary>
    internal SessionRow Row(long sessionId)
    {
        using var command = Command("SELECT label, started_at, miaudit_version, rule_set_hash, device_profile, settings FROM sessions WHERE id = @id;", ("@id", sessionId));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new SessionRow(sessionId, reader.GetString(0), Timestamps.Format(_dialect.ReadTime(reader, 1)), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5))
            : throw new StorageException($"no session with id {sessionId}");
    }

    /// <summary>Makes sure the session row is in this database (same id); refuses one where that id is another session.</summary>
    internal void Ensure(SessionRow row)
    {
        Execute("""
            INSERT INTO sessions (id, label, started_at, miaudit_version, rule_set_hash, device_profile, settings)
            VALUES (@id, @label, @started, @version, @hash, @profile, @settings) ON CONFLICT(id) DO NOTHING;
            """, ("@id", row.Id), ("@label", row.Label), ("@started", Timestamps.Parse(row.StartedAt)), ("@version", row.MiAuditVersion),
            ("@hash", row.RuleSetHash), ("@profile", row.DeviceProfile), ("@settings", row.Settings));
        var stored = Row(row.Id);
        if (stored.Label != row.Label || stored.StartedAt != row.StartedAt)
        {
            throw new StorageException($"session {row.Id} in this database is another session than \"{row.Label}\"");
        }
    }

    public IReadOnlyList<long> Resolve(string idOrLabel)
    {
        var all = List();
        var byId = long.TryParse(idOrLabel, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? all.Where(s => s.Id == id) : [];
        var matched = byId.Concat(all.Where(s => s.Label == idOrLabel)).Select(s => s.Id).Distinct().ToList();
        return matched.Count > 0 ? matched : throw new StorageException($"no session with id or label '{idOrLabel}' (see 'miaudit sessions')");
    }

    private DbCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            _dialect.Add(command, name, value);
        }

        return command;
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.ExecuteNonQuery();
    }
}

/// <summary>Timestamps are stored as ISO 8601 UTC text: sortable, and readable in the sqlite3 shell.</summary>
public static class Timestamps
{
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(StoredFormat, CultureInfo.InvariantCulture);

    private const string StoredFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Parses what <see cref="Format"/> wrote (fast path), or any ISO 8601 time.</summary>
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.TryParseExact(text, StoredFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var exact)
            ? exact
            : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
