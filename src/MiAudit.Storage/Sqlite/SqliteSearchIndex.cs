using Microsoft.Data.Sqlite;
using MiAudit.Storage.Search;

namespace MiAudit.Storage.Sqlite;

/// <summary>
/// The SQLite store's search index: an FTS5 table with the trigram tokenizer (substring search, case ignored) in a
/// file of its own beside the database (<c>miaudit.db.search</c>), so that indexing never takes the evidence
/// database's write lock from the proxy's writer. Deleting the file only loses the index; it is rebuilt.
/// </summary>
internal sealed class SqliteSearchIndex : ISearchIndex
{
    private readonly SqliteConnection _connection;
    private readonly string _path;

    public SqliteSearchIndex(string databasePath)
    {
        _path = databasePath + ".search";
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false, DefaultTimeout = 5 }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
            CREATE VIRTUAL TABLE IF NOT EXISTS flow_text USING fts5(uid UNINDEXED, text, tokenize = 'trigram', detail = none);
            """);
    }

    public (long Lowest, long Highest)? Range()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT min(rowid), max(rowid) FROM flow_text;";
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.IsDBNull(0) ? null : (reader.GetInt64(0), reader.GetInt64(1));
    }

    public string? UidOf(long flowId)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT uid FROM flow_text WHERE rowid = $id;";
        command.Parameters.AddWithValue("$id", flowId);
        return command.ExecuteScalar() as string;
    }

    public void Clear() => Execute("DELETE FROM flow_text;");

    public void Add(IReadOnlyList<SearchEntry> entries)
    {
        using var transaction = _connection.BeginTransaction();
        using var delete = _connection.CreateCommand();
        delete.CommandText = "DELETE FROM flow_text WHERE rowid = $id;";
        var deleteId = delete.Parameters.Add("$id", SqliteType.Integer);
        using var insert = _connection.CreateCommand();
        insert.CommandText = "INSERT INTO flow_text (rowid, uid, text) VALUES ($id, $uid, $text);";
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var uid = insert.Parameters.Add("$uid", SqliteType.Text);
        var text = insert.Parameters.Add("$text", SqliteType.Text);
        foreach (var entry in entries)
        {
            deleteId.Value = entry.FlowId;
            delete.ExecuteNonQuery();
            (id.Value, uid.Value, text.Value) = (entry.FlowId, entry.Uid, entry.Text);
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public IReadOnlyList<long> Search(string text, long? beforeId, int limit)
    {
        using var command = _connection.CreateCommand();
        // LIKE, which the trigram index answers for three characters or more (shorter ones are scanned). Without
        // positions in the index (detail = none: 156 instead of 379 MiB per 100,000 flows) FTS5 has no phrase queries.
        command.CommandText = "SELECT rowid FROM flow_text WHERE text LIKE $query ESCAPE '\\' AND rowid < $before ORDER BY rowid DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$query", Sql.SqlLike.Containing(text));
        command.Parameters.AddWithValue("$before", beforeId ?? long.MaxValue);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    public (long Entries, long Bytes) Size()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM flow_text;";
        var entries = (long)command.ExecuteScalar()!;
        return (entries, new[] { _path, _path + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length));
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();
}
