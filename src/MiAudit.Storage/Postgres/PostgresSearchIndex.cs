using MiAudit.Storage.Search;
using Npgsql;

namespace MiAudit.Storage.Postgres;

/// <summary>
/// The PostgreSQL store's search index: the <c>flow_search</c> table, with a pg_trgm index on its lowered text where
/// the extension could be created (schema step 2), so <c>LIKE '%text%'</c> does not read every row.
/// </summary>
internal sealed class PostgresSearchIndex(NpgsqlDataSource source) : ISearchIndex
{
    public (long Lowest, long Highest)? Range()
    {
        using var connection = source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT min(flow_id), max(flow_id) FROM flow_search;", connection);
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.IsDBNull(0) ? null : (reader.GetInt64(0), reader.GetInt64(1));
    }

    public string? UidOf(long flowId)
    {
        using var connection = source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT uid FROM flow_search WHERE flow_id = $1;", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = flowId });
        return command.ExecuteScalar() as string;
    }

    public void Clear()
    {
        using var connection = source.OpenConnection();
        using var command = new NpgsqlCommand("DELETE FROM flow_search;", connection);
        command.ExecuteNonQuery();
    }

    public void Add(IReadOnlyList<SearchEntry> entries)
    {
        using var connection = source.OpenConnection();
        using var command = new NpgsqlCommand("""
            INSERT INTO flow_search (flow_id, uid, text) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
            ON CONFLICT (flow_id) DO UPDATE SET uid = EXCLUDED.uid, text = EXCLUDED.text;
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.FlowId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Uid).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => PostgresText.Clean(e.Text)!).ToArray() });
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<long> Search(string text, long? beforeId, int limit)
    {
        using var connection = source.OpenConnection();
        using var command = new NpgsqlCommand("""
            SELECT flow_id FROM flow_search WHERE lower(text) LIKE lower($1) ESCAPE '\' AND flow_id < $2
            ORDER BY flow_id DESC LIMIT $3;
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Sql.SqlLike.Containing(text) });
        command.Parameters.Add(new NpgsqlParameter { Value = beforeId ?? long.MaxValue });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
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
        using var connection = source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT count(*), pg_total_relation_size('flow_search') FROM flow_search;", connection);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public void Dispose()
    {
        // The data source is the store's.
    }
}
