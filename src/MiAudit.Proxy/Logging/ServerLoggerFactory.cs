using Microsoft.Extensions.Logging;

namespace MiAudit.Proxy.Logging;

/// <summary>
/// The logger factory Kestrel and ASP.NET Core get. Their lines about connections are caused by clients (resets,
/// protocol violations, HTTP/2 abuse protection): written without stack traces, never above Warning (Kestrel logs
/// some at Critical, which is not fatal to MiAudit), at most once per event per window. An exception that is not a
/// client's doing escaped MiAudit's own code: that stays an error with its stack trace, throttled the same way.
/// MiAudit's own categories pass untouched.
/// </summary>
internal sealed class ServerLoggerFactory(ILoggerFactory inner, LogThrottle throttle) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) ? new ClientCausedLogger(logger, categoryName, throttle) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The factory belongs to whoever created it.
    }

    private sealed class ClientCausedLogger(ILogger inner, string category, LogThrottle throttle) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        // Kestrel puts the rejected request line or target into its exception only when Information is enabled; that
        // text is the evidence of a request it refused (RejectedRequests), so say yes: Log still writes only what the
        // configured level lets through.
        public bool IsEnabled(LogLevel logLevel) => (logLevel == LogLevel.Information && _kestrel) || inner.IsEnabled(Capped(logLevel));

        private readonly bool _kestrel = category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var bug = exception is not null && !IsClientCaused(exception);
            var level = bug ? LogLevel.Error : Capped(logLevel);
            if (!inner.IsEnabled(level) || !throttle.TryPass($"{category}#{eventId.Id}", out var suppressed))
            {
                return;
            }

            if (bug)
            {
                inner.Log(level, eventId, exception, "MiAudit bug: {Message}{Held}", formatter(state, exception), LogThrottle.Held(suppressed));
                return;
            }

            var reason = exception is null ? "" : $": {exception.GetType().Name}: {exception.Message}";
            inner.Log(level, eventId, "{Message}{Reason}{Held}", formatter(state, exception), reason, LogThrottle.Held(suppressed));
        }

        private static LogLevel Capped(LogLevel level) => level > LogLevel.Warning && level != LogLevel.None ? LogLevel.Warning : level;

        private static bool IsClientCaused(Exception exception) => exception is IOException or OperationCanceledException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException or Microsoft.AspNetCore.Http.BadHttpRequestException
            or System.Security.Authentication.AuthenticationException;
    }
}
