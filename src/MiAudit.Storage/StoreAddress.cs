using System.Globalization;
using Npgsql;

namespace MiAudit.Storage;

/// <summary>
/// What <c>--db</c> (or <c>MIAUDIT_DB</c>) names: an SQLite file, or a PostgreSQL database as a
/// <c>postgresql://user:password@host:port/database?sslmode=…</c> URL. The URL is turned into Npgsql's connection
/// string here, and <see cref="Display"/> is the only form of it that may be printed: it never holds the password.
/// </summary>
public sealed record StoreAddress
{
    /// <summary>The environment variable that names the store when <c>--db</c> is not given (a URL with a password
    /// then never appears on a command line or in the shell history).</summary>
    public const string EnvironmentVariable = "MIAUDIT_DB";

    private StoreAddress(string? filePath, string? connectionString, string display)
    {
        FilePath = filePath;
        ConnectionString = connectionString;
        Display = display;
    }

    /// <summary>The SQLite file (full path), or null for PostgreSQL.</summary>
    public string? FilePath { get; }

    /// <summary>Npgsql's connection string (with the password), or null for SQLite. Never print it.</summary>
    public string? ConnectionString { get; }

    public bool IsPostgres => ConnectionString is not null;

    /// <summary>The file path, or the URL without its password: what messages, logs and banners show.</summary>
    public string Display { get; }

    public override string ToString() => Display;

    /// <summary>The location a command uses when <c>--db</c> is not given: <c>MIAUDIT_DB</c>, else miaudit.db here.</summary>
    public static string Default => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } named ? named : AuditDatabase.DefaultFileName;

    /// <exception cref="StorageException">A postgres URL that cannot be understood (the message never repeats its password).</exception>
    public static StoreAddress Parse(string text)
    {
        if (!text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            var path = Path.GetFullPath(text);
            return new StoreAddress(path, null, path);
        }

        var rest = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = "";
        if (rest.IndexOf('?') is var q and >= 0)
        {
            (rest, query) = (rest[..q], rest[(q + 1)..]);
        }

        var database = "";
        if (rest.IndexOf('/') is var slash and >= 0)
        {
            (rest, database) = (rest[..slash], Unescape(rest[(slash + 1)..]));
        }

        string? user = null, password = null;
        if (rest.LastIndexOf('@') is var at and >= 0)
        {
            var credentials = rest[..at];
            rest = rest[(at + 1)..];
            if (credentials.IndexOf(':') is var colon and >= 0)
            {
                (user, password) = (Unescape(credentials[..colon]), Unescape(credentials[(colon + 1)..]));
            }
            else
            {
                user = Unescape(credentials);
            }
        }

        var (host, port) = HostAndPort(rest);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = host.Length == 0 ? "localhost" : host,
            Port = port ?? 5432,
            Database = database.Length == 0 ? null : database,
            Username = user,
            Password = password,
            ApplicationName = "miaudit",
            // A server that does not answer is said within seconds, and a lost one sends the writer to its spill file.
            Timeout = 5,
            CommandTimeout = 60,
            MaxAutoPrepare = 32,
        };
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var key = Unescape(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Unescape(pair[(equals + 1)..]);
            try
            {
                builder[UrlKeys.GetValueOrDefault(key.ToLowerInvariant(), key)] = value;
            }
            catch (ArgumentException)
            {
                throw new StorageException($"the PostgreSQL URL has the parameter '{key}', which Npgsql does not know (use sslmode, sslrootcert, connect_timeout, application_name, options …)");
            }
        }

        var display = $"postgresql://{(user is null ? "" : Uri.EscapeDataString(user) + "@")}{(host.Contains(':') ? $"[{host}]" : host)}"
            + $"{(port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "")}/{Uri.EscapeDataString(database)}";
        return new StoreAddress(null, builder.ConnectionString, display);
    }

    // libpq's URL parameter names that differ from Npgsql's keywords.
    private static readonly Dictionary<string, string> UrlKeys = new()
    {
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["options"] = "Options",
        ["target_session_attrs"] = "Target Session Attributes",
    };

    private static (string Host, int? Port) HostAndPort(string text)
    {
        string host = text, portText = "";
        if (text.StartsWith('['))
        {
            var end = text.IndexOf(']');
            if (end < 0)
            {
                throw new StorageException("the PostgreSQL URL has an IPv6 host without its closing ']'");
            }

            host = text[1..end];
            portText = text[(end + 1)..].TrimStart(':');
        }
        else if (text.LastIndexOf(':') is var colon and >= 0)
        {
            (host, portText) = (text[..colon], text[(colon + 1)..]);
        }

        if (portText.Length == 0)
        {
            return (Unescape(host), null);
        }

        return int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? (Unescape(host), port)
            : throw new StorageException($"the PostgreSQL URL's port '{portText}' is not a port number");
    }

    private static string Unescape(string text) => Uri.UnescapeDataString(text);
}
