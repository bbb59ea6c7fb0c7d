namespace MiAudit.Storage.Schema;

/// <summary>
/// The schema, as forward-only steps; <c>PRAGMA user_version</c> records how many have run. Never edit a step that
/// has shipped: add one. docs/storage.md describes the tables.
/// </summary>
internal static class Migrations
{
    public static readonly string[] Steps =
    [
        // 1: sessions, flows, findings.
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            label TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            miaudit_version TEXT NOT NULL,
            rule_set_hash TEXT NOT NULL,
            device_profile TEXT,
            settings TEXT
        );

        CREATE TABLE flows (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,
            completed_at TEXT NOT NULL,
            client_address TEXT NOT NULL,
            client_port INTEGER NOT NULL,
            transport TEXT NOT NULL,
            http_version TEXT NOT NULL,
            upstream_http_version TEXT,
            method TEXT NOT NULL,
            scheme TEXT NOT NULL,
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            path TEXT NOT NULL,
            query TEXT NOT NULL,
            status INTEGER,
            request_headers TEXT NOT NULL,
            request_body BLOB,
            request_body_size INTEGER NOT NULL,
            request_body_truncated INTEGER NOT NULL,
            response_headers TEXT NOT NULL,
            response_body BLOB,
            response_body_size INTEGER NOT NULL,
            response_body_truncated INTEGER NOT NULL,
            tls_server_name TEXT,
            tls_alpn TEXT,
            tls_version TEXT,
            error_kind TEXT,
            error_message TEXT,
            decode_limits TEXT,
            max_severity INTEGER
        );
        CREATE INDEX flows_session_started ON flows(session_id, started_at);
        CREATE INDEX flows_host ON flows(host);
        CREATE INDEX flows_started ON flows(started_at);

        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            title TEXT NOT NULL,
            severity INTEGER NOT NULL,
            category TEXT NOT NULL,
            value TEXT NOT NULL,
            matched_as TEXT NOT NULL,
            leaf_path TEXT NOT NULL,
            transforms TEXT NOT NULL,
            snippet TEXT NOT NULL,
            rule_set_hash TEXT NOT NULL
        );
        CREATE INDEX findings_flow ON findings(flow_id);
        CREATE INDEX findings_rule ON findings(rule_id);
        CREATE INDEX findings_category_severity ON findings(category, severity);
        """,

        // 2: flows stored before detection ran on them (the writer keeps evidence durable while detection lags).
        """
        ALTER TABLE flows ADD COLUMN analysis_pending INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX flows_analysis_pending ON flows(session_id) WHERE analysis_pending = 1;
        """,

        // 3: trailers, WebSocket messages (children of the flow that opened the socket), and snapshots of exchanges
        // still running, so that a long-lived one is on disk while it lasts.
        """
        ALTER TABLE flows ADD COLUMN request_trailers TEXT;
        ALTER TABLE flows ADD COLUMN response_trailers TEXT;
        ALTER TABLE flows ADD COLUMN in_progress INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE flows ADD COLUMN ws_client_messages INTEGER;
        ALTER TABLE flows ADD COLUMN ws_client_bytes INTEGER;
        ALTER TABLE flows ADD COLUMN ws_server_messages INTEGER;
        ALTER TABLE flows ADD COLUMN ws_server_bytes INTEGER;

        CREATE TABLE websocket_messages (
            id INTEGER PRIMARY KEY,
            flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            direction TEXT NOT NULL,
            at TEXT NOT NULL,
            opcode INTEGER NOT NULL,
            size INTEGER NOT NULL,
            data BLOB,
            truncated INTEGER NOT NULL,
            note TEXT
        );
        CREATE INDEX websocket_messages_flow ON websocket_messages(flow_id, idx);
        """,

        // 4: the JA4 fingerprint of the client's TLS hello, which tells the apps and browsers of one phone apart.
        """
        ALTER TABLE flows ADD COLUMN tls_fingerprint TEXT;
        """,
    ];
}
