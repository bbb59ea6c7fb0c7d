using Microsoft.Extensions.Logging;
using MiAudit.Proxy.Logging;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Logging;

public class ServerLoggerFactoryTests
{
    private readonly CapturingLoggerProvider _captured = new();

    private ILogger Kestrel(string category = "Microsoft.AspNetCore.Server.Kestrel.Http2") =>
        new ServerLoggerFactory(_captured.CreateFactory(), new LogThrottle(TimeProvider.System, TimeSpan.FromMinutes(1))).CreateLogger(category);

    [Fact]
    public void A_critical_line_about_a_client_is_a_warning_without_its_stack_trace()
    {
        Kestrel().Log(LogLevel.Critical, new EventId(60), "flow-control queue exceeded", new IOException("client flood"), (s, _) => s);

        var entry = Assert.Single(_captured.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Null(entry.Exception);
        Assert.Contains("client flood", entry.Message);
    }

    [Fact]
    public void The_same_event_is_written_once_per_window_and_the_rest_counted()
    {
        var logger = Kestrel();
        for (var i = 0; i < 1000; i++)
        {
            logger.LogWarning(new EventId(7), "connection reset {N}", i);
        }

        Assert.Single(_captured.Entries);
    }

    [Fact]
    public void An_exception_that_is_not_the_clients_doing_stays_an_error_with_its_trace()
    {
        Kestrel().LogError(new EventId(13), new NullReferenceException("bug"), "Unhandled exception");

        var entry = Assert.Single(_captured.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.IsType<NullReferenceException>(entry.Exception);
    }

    [Fact]
    public void MiAudits_own_categories_pass_untouched()
    {
        Kestrel("MiAudit.Proxy.Connect").Log(LogLevel.Critical, new EventId(1), "ours", null, (s, _) => s);

        Assert.Equal(LogLevel.Critical, Assert.Single(_captured.Entries).Level);
    }
}
