using System.Text.Json;
using Microsoft.Data.Sqlite;
using MiAudit.Detection.Findings;
using MiAudit.Flows;

namespace MiAudit.Storage.Writing;

/// <summary>Prepared INSERTs for flows and findings on one connection, reused across a batch.</summary>
internal sealed class FlowInserter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insertFlow;
    private readonly SqliteCommand _insertFinding;
    private readonly SqliteCommand _deleteFindings;

    public FlowInserter(SqliteConnection connection)
    {
        _connection = connection;
        _insertFlow = connection.CreateCommand();
        _insertFlow.CommandText = """
            INSERT INTO flows (uid, session_id, started_at, completed_at, client_address, client_port, transport, http_version,
                upstream_http_version, method, scheme, host, port, path, query, status, request_headers, request_body,
                request_body_size, request_body_truncated, response_headers, response_body, response_body_size,
                response_body_truncated, tls_server_name, tls_alpn, tls_version, error_kind, error_message, decode_limits, max_severity)
            VALUES ($uid, $session, $started, $completed, $client, $client_port, $transport, $http_version, $upstream_version,
                $method, $scheme, $host, $port, $path, $query, $status, $request_headers, $request_body, $request_body_size,
                $request_body_truncated, $response_headers, $response_body, $response_body_size, $response_body_truncated,
                $tls_server_name, $tls_alpn, $tls_version, $error_kind, $error_message, $decode_limits, $max_severity)
            ON CONFLICT(uid) DO NOTHING
            RETURNING id;
            """;
        foreach (var name in new[]
        {
            "$uid", "$session", "$started", "$completed", "$client", "$client_port", "$transport", "$http_version", "$upstream_version",
            "$method", "$scheme", "$host", "$port", "$path", "$query", "$status", "$request_headers", "$request_body",
            "$request_body_size", "$request_body_truncated", "$response_headers", "$response_body", "$response_body_size",
            "$response_body_truncated", "$tls_server_name", "$tls_alpn", "$tls_version", "$error_kind", "$error_message",
            "$decode_limits", "$max_severity",
        })
        {
            _insertFlow.Parameters.Add(new SqliteParameter(name, null));
        }

        _insertFinding = connection.CreateCommand();
        _insertFinding.CommandText = """
            INSERT INTO findings (flow_id, rule_id, title, severity, category, value, matched_as, leaf_path, transforms, snippet, rule_set_hash)
            VALUES ($flow, $rule, $title, $severity, $category, $value, $matched_as, $leaf_path, $transforms, $snippet, $hash);
            """;
        foreach (var name in new[] { "$flow", "$rule", "$title", "$severity", "$category", "$value", "$matched_as", "$leaf_path", "$transforms", "$snippet", "$hash" })
        {
            _insertFinding.Parameters.Add(new SqliteParameter(name, null));
        }

        _deleteFindings = connection.CreateCommand();
        _deleteFindings.CommandText = "DELETE FROM findings WHERE flow_id = $flow;";
        _deleteFindings.Parameters.Add(new SqliteParameter("$flow", null));
    }

    public SqliteTransaction BeginTransaction()
    {
        var transaction = _connection.BeginTransaction();
        _insertFlow.Transaction = transaction;
        _insertFinding.Transaction = transaction;
        _deleteFindings.Transaction = transaction;
        return transaction;
    }

    /// <summary>Inserts the flow and its findings; returns the flow's row id, or null when that flow is already stored.</summary>
    public long? Insert(long sessionId, FlowRecord record, string ruleSetHash)
    {
        var flow = record.Flow;
        var p = _insertFlow.Parameters;
        p["$uid"].Value = flow.Id.ToString();
        p["$session"].Value = sessionId;
        p["$started"].Value = Timestamps.Format(flow.StartedAt);
        p["$completed"].Value = Timestamps.Format(flow.CompletedAt);
        p["$client"].Value = flow.ClientAddress;
        p["$client_port"].Value = flow.ClientPort;
        p["$transport"].Value = flow.Transport.ToString();
        p["$http_version"].Value = flow.HttpVersion;
        p["$upstream_version"].Value = (object?)flow.UpstreamHttpVersion ?? DBNull.Value;
        p["$method"].Value = flow.Method;
        p["$scheme"].Value = flow.Scheme;
        p["$host"].Value = flow.Host;
        p["$port"].Value = flow.Port;
        p["$path"].Value = flow.Path;
        p["$query"].Value = flow.Query;
        p["$status"].Value = (object?)flow.StatusCode ?? DBNull.Value;
        p["$request_headers"].Value = HeaderJson.Serialize(flow.RequestHeaders);
        p["$request_body"].Value = record.KeepBodies && !flow.RequestBody.Bytes.IsEmpty ? flow.RequestBody.Bytes.ToArray() : DBNull.Value;
        p["$request_body_size"].Value = flow.RequestBody.WireLength;
        p["$request_body_truncated"].Value = record.KeepBodies ? flow.RequestBody.Truncated : flow.RequestBody.WireLength > 0;
        p["$response_headers"].Value = HeaderJson.Serialize(flow.ResponseHeaders);
        p["$response_body"].Value = record.KeepBodies && !flow.ResponseBody.Bytes.IsEmpty ? flow.ResponseBody.Bytes.ToArray() : DBNull.Value;
        p["$response_body_size"].Value = flow.ResponseBody.WireLength;
        p["$response_body_truncated"].Value = record.KeepBodies ? flow.ResponseBody.Truncated : flow.ResponseBody.WireLength > 0;
        p["$tls_server_name"].Value = (object?)flow.ClientTls?.ServerName ?? DBNull.Value;
        p["$tls_alpn"].Value = (object?)flow.ClientTls?.ApplicationProtocol ?? DBNull.Value;
        p["$tls_version"].Value = (object?)flow.ClientTls?.Protocol ?? DBNull.Value;
        p["$error_kind"].Value = (object?)flow.Error?.Kind ?? DBNull.Value;
        p["$error_message"].Value = (object?)flow.Error?.Message ?? DBNull.Value;
        p["$decode_limits"].Value = record.DecodeLimits.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(record.DecodeLimits);
        p["$max_severity"].Value = record.Findings.Count == 0 ? DBNull.Value : (int)record.Findings.Max(f => f.Severity);
        if (_insertFlow.ExecuteScalar() is not long flowId)
        {
            return null;
        }

        InsertFindings(flowId, record.Findings, ruleSetHash);
        return flowId;
    }

    /// <summary>Replaces a stored flow's findings (after a rescan with other rules).</summary>
    public void ReplaceFindings(long flowId, IReadOnlyList<Finding> findings, string ruleSetHash)
    {
        _deleteFindings.Parameters["$flow"].Value = flowId;
        _deleteFindings.ExecuteNonQuery();
        InsertFindings(flowId, findings, ruleSetHash);
    }

    private void InsertFindings(long flowId, IReadOnlyList<Finding> findings, string ruleSetHash)
    {
        var p = _insertFinding.Parameters;
        foreach (var finding in findings)
        {
            p["$flow"].Value = flowId;
            p["$rule"].Value = finding.RuleId;
            p["$title"].Value = finding.Title;
            p["$severity"].Value = (int)finding.Severity;
            p["$category"].Value = finding.Category;
            p["$value"].Value = finding.Value;
            p["$matched_as"].Value = finding.MatchedAs;
            p["$leaf_path"].Value = finding.LeafPath;
            p["$transforms"].Value = JsonSerializer.Serialize(finding.Transforms);
            p["$snippet"].Value = finding.Snippet;
            p["$hash"].Value = ruleSetHash;
            _insertFinding.ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        _insertFlow.Dispose();
        _insertFinding.Dispose();
        _deleteFindings.Dispose();
    }
}

/// <summary>Headers are stored as a JSON array of [name, value] pairs: order and repeats survive.</summary>
public static class HeaderJson
{
    public static string Serialize(IReadOnlyList<HeaderField> headers) =>
        JsonSerializer.Serialize(headers.Select(h => new[] { h.Name, h.Value }));

    public static IReadOnlyList<HeaderField> Deserialize(string json) =>
        JsonSerializer.Deserialize<string[][]>(json)!.Select(pair => new HeaderField(pair[0], pair[1])).ToArray();
}
