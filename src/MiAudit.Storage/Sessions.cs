using System.Globalization;
using Microsoft.Data.Sqlite;

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

/// <summary>Creates, closes and lists sessions.</summary>
public sealed class SessionStore(SqliteConnection connection)
{
    /// <exception cref="DuplicateSessionLabelException">A session has that label already: reports would merge the two.</exception>
    public long Start(string label, string miauditVersion, string ruleSetHash, string? deviceProfile, string? settingsJson, DateTimeOffset startedAt)
    {
        if (List().FirstOrDefault(s => s.Label == label) is { } existing)
        {
            throw new DuplicateSessionLabelException(
                $"a session labelled '{label}' exists already (id {existing.Id}, started {existing.StartedAt:yyyy-MM-dd HH:mm} UTC); choose another label, or another --db");
        }

        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO sessions (label, started_at, miaudit_version, rule_set_hash, device_profile, settings)
            VALUES ($label, $started, $version, $hash, $profile, $settings) RETURNING id;
            """;
        command.Parameters.AddWithValue("$label", label);
        command.Parameters.AddWithValue("$started", Timestamps.Format(startedAt));
        command.Parameters.AddWithValue("$version", miauditVersion);
        command.Parameters.AddWithValue("$hash", ruleSetHash);
        command.Parameters.AddWithValue("$profile", (object?)deviceProfile ?? DBNull.Value);
        command.Parameters.AddWithValue("$settings", (object?)settingsJson ?? DBNull.Value);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary><paramref name="wanted"/> if no session has it yet, else the first free "wanted (2)", "wanted (3)" ….</summary>
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

    public void End(long sessionId, DateTimeOffset endedAt)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE sessions SET ended_at = $ended WHERE id = $id;";
        command.Parameters.AddWithValue("$ended", Timestamps.Format(endedAt));
        command.Parameters.AddWithValue("$id", sessionId);
        command.ExecuteNonQuery();
    }

    /// <summary>Removes a session that never recorded a flow (a run that failed to start): no empty session is left behind.</summary>
    public void Discard(long sessionId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM sessions WHERE id = $id AND NOT EXISTS (SELECT 1 FROM flows WHERE session_id = $id);";
        command.Parameters.AddWithValue("$id", sessionId);
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<AuditSession> List()
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT s.id, s.label, s.started_at, s.ended_at, s.miaudit_version, s.rule_set_hash, s.device_profile,
                   (SELECT COUNT(*) FROM flows f WHERE f.session_id = s.id),
                   (SELECT COUNT(*) FROM findings x JOIN flows f ON f.id = x.flow_id WHERE f.session_id = s.id)
            FROM sessions s ORDER BY s.id;
            """;
        using var reader = command.ExecuteReader();
        var sessions = new List<AuditSession>();
        while (reader.Read())
        {
            sessions.Add(new AuditSession(
                reader.GetInt64(0),
                reader.GetString(1),
                Timestamps.Parse(reader.GetString(2)),
                reader.IsDBNull(3) ? null : Timestamps.Parse(reader.GetString(3)),
                reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetInt64(7),
                reader.GetInt64(8)));
        }

        return sessions;
    }

    /// <summary>Flows stored before detection ran on them (a run ended first); <c>miaudit scan</c> analyses them.</summary>
    public long UnanalysedFlows()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM flows WHERE analysis_pending = 1;";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>The device profile and settings JSON a session was recorded with (what <c>scan</c> reuses).</summary>
    public (string? DeviceProfile, string? Settings) RecordedWith(long sessionId)
    {
        var row = Row(sessionId);
        return (row.DeviceProfile, row.Settings);
    }

    /// <summary>Records the rule set that produced the session's findings now (after a scan).</summary>
    public void SetRuleSetHash(long sessionId, string ruleSetHash)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE sessions SET rule_set_hash = $hash WHERE id = $id;";
        command.Parameters.AddWithValue("$hash", ruleSetHash);
        command.Parameters.AddWithValue("$id", sessionId);
        command.ExecuteNonQuery();
    }

    /// <summary>A session's row as stored, to recreate it in another file.</summary>
    internal SessionRow Row(long sessionId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT label, started_at, miaudit_version, rule_set_hash, device_profile, settings FROM sessions WHERE id = $id;";
        command.Parameters.AddWithValue("$id", sessionId);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new SessionRow(sessionId, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5))
            : throw new StorageException($"no session with id {sessionId}");
    }

    /// <summary>Makes sure the session row is in this file (same id); refuses a file where that id is another session.</summary>
    internal void Ensure(SessionRow row)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO sessions (id, label, started_at, miaudit_version, rule_set_hash, device_profile, settings)
            VALUES ($id, $label, $started, $version, $hash, $profile, $settings) ON CONFLICT(id) DO NOTHING;
            SELECT label = $label AND started_at = $started FROM sessions WHERE id = $id;
            """;
        command.Parameters.AddWithValue("$id", row.Id);
        command.Parameters.AddWithValue("$label", row.Label);
        command.Parameters.AddWithValue("$started", row.StartedAt);
        command.Parameters.AddWithValue("$version", row.MiAuditVersion);
        command.Parameters.AddWithValue("$hash", row.RuleSetHash);
        command.Parameters.AddWithValue("$profile", (object?)row.DeviceProfile ?? DBNull.Value);
        command.Parameters.AddWithValue("$settings", (object?)row.Settings ?? DBNull.Value);
        if ((long)command.ExecuteScalar()! != 1)
        {
            throw new StorageException($"session {row.Id} in this file is another session than \"{row.Label}\"");
        }
    }

    /// <summary>Sessions named by id or label (a label may name several sessions).</summary>
    public IReadOnlyList<long> Resolve(string idOrLabel)
    {
        var all = List();
        var byId = long.TryParse(idOrLabel, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? all.Where(s => s.Id == id) : [];
        var matched = byId.Concat(all.Where(s => s.Label == idOrLabel)).Select(s => s.Id).Distinct().ToList();
        return matched.Count > 0 ? matched : throw new StorageException($"no session with id or label '{idOrLabel}' (see 'miaudit sessions')");
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
