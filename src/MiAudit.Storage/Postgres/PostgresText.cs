using System.Text;

namespace MiAudit.Storage.Postgres;

/// <summary>
/// PostgreSQL's text holds neither NUL nor an unpaired UTF-16 surrogate (it is strict UTF-8). Both can come from hostile
/// traffic through decoded values; they are stored as U+FFFD, the character SQLite's driver writes for a surrogate too.
/// Headers are stored as JSON, where a NUL is the escape <c>\u0000</c> and survives.
/// </summary>
internal static class PostgresText
{
    public static string? Clean(string? text)
    {
        if (text is null || !NeedsCleaning(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                builder.Append(c == '\0' || char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return builder.ToString();
    }

    private static bool NeedsCleaning(string text)
    {
        foreach (var c in text)
        {
            if (c == '\0' || char.IsSurrogate(c))
            {
                return true; // a valid pair is kept by Clean; checking pairs here would cost every clean string
            }
        }

        return false;
    }
}
