using System.Net.Sockets;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MiAudit.Cli.Logging;
using MiAudit.Detection.Masking;
using MiAudit.Proxy;
using MiAudit.Proxy.Tls;
using MiAudit.Storage;
using MiAudit.Storage.Writing;

namespace MiAudit.Cli.Run;

/// <summary>
/// Wires the proxy to detection, the live view and the store; runs until a stop signal; then drains in-flight
/// exchanges, writes every queued flow and closes the session, so a Ctrl-C loses nothing.
/// </summary>
public static class ProxyRunner
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    public static string Version { get; } =
        typeof(ProxyRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static async Task<int> RunAsync(RunSettings settings)
    {
        using var loggerFactory = LogSetup.Create(settings.LogDirectory, settings.ConsoleLevel);
        var logger = loggerFactory.CreateLogger("MiAudit");

        CertificateAuthority authority;
        try
        {
            authority = CertificateAuthority.LoadOrCreate(settings.CertsDirectory.FullName);
        }
        catch (Exception e) when (e is CertificateAuthorityException or IOException or UnauthorizedAccessException)
        {
            return Report.Error(e.Message, ExitCodes.Failure);
        }

        long sessionId;
        string label;
        FlowWriter writer;
        var ruleSetHash = settings.Detection?.Rules.Hash ?? "no-detection";
        try
        {
            using (var store = AuditStores.Open(settings.Database))
            {
                var sessions = store.Sessions;
                if (sessions.UnanalysedFlows() is > 0 and var unanalysed)
                {
                    logger.LogWarning("{Count} flows in {Database} were stored before detection ran on them (an earlier run was stopped first); 'miaudit scan' analyses them",
                        unanalysed, settings.Database.Display);
                }

                (sessionId, label) = StartSession(sessions, settings, ruleSetHash);
                writer = store.FlowWriter(sessionId, ruleSetHash, loggerFactory.CreateLogger<FlowWriter>());
            }
        }
        catch (DuplicateSessionLabelException e)
        {
            authority.Dispose();
            return Report.Error(e.Message, ExitCodes.Usage);
        }
        catch (Exception e) when (e is StorageException or System.Data.Common.DbException)
        {
            // Locked by another process, read-only, not a database, a server that cannot be reached: say so rather
            // than audit without a record.
            authority.Dispose();
            return Report.Error(e.Message.Contains(settings.Database.Display, StringComparison.Ordinal) ? e.Message
                : $"cannot use the evidence database {settings.Database.Display}: {e.Message}", ExitCodes.Failure);
        }

        var output = new StreamWriter(Console.OpenStandardOutput(), Console.OutputEncoding, 1 << 16) { AutoFlush = false };
        using (authority)
        using (var signal = new ShutdownSignal())
        await using (var view = new LiveView(output, !Console.IsOutputRedirected, label, LiveMasking(settings), settings.Store.FlagThreshold,
                   settings.ConsoleLevel switch
                   {
                       Serilog.Events.LogEventLevel.Debug => LiveDetail.EveryFlow,
                       >= Serilog.Events.LogEventLevel.Warning => LiveDetail.Summaries,
                       _ => LiveDetail.Findings,
                   },
                   summaryInterval: TimeSpan.FromSeconds(10)))
        {
            await using var ownedWriter = writer;
            await using var trimmer = new MemoryTrimmer();
            var engine = settings.Detection?.CreateEngine();
            ReportSetup(logger, settings, authority, engine);
            await using var pipeline = new AuditPipeline(engine, writer, settings.Store, settings.Redactor, view, logger);
            await using var server = ProxyServer.Create(settings.Proxy, authority, [pipeline], loggerFactory);
            try
            {
                await server.StartAsync();
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                await writer.DisposeAsync();
                DiscardSession(settings, sessionId, logger);
                return Report.Error($"cannot listen on {settings.Proxy.ListenEndPoint}: {e.GetBaseException().Message}", ExitCodes.Failure);
            }

            var bound = server.BoundEndPoints[0];
            logger.LogInformation("Listening on {EndPoint}; session {SessionId} \"{Label}\" in {Database}", bound, sessionId, label, settings.Database.Display);
            var (ui, uiLine) = await Ui.UiHost.StartAsync(settings.Ui, settings.Database, settings.Mask, loggerFactory);
            await using var ownedUi = ui;
            Console.WriteLine(StartupBanner.Render(bound, authority, settings.Proxy.InsecureUpstream) + "\n" + uiLine);

            var reason = await signal.Requested;
            logger.LogInformation("{Signal} received: finishing in-flight exchanges and writing queued flows (a second signal exits at once)", reason);
            await server.StopAsync(DrainTimeout);
            await pipeline.DisposeAsync(); // late findings of the last flows, before the writer closes
            await writer.DisposeAsync();
            CloseSession(settings, sessionId, logger);

            await view.DisposeAsync();
            view.WriteSummary();
            var unstored = (writer.StoredUnanalysed > 0 ? $" ({writer.StoredUnanalysed} of them first stored before detection reached them)" : "")
                + (writer.Spilled > 0 ? $", {writer.Spilled} kept in the spill file {writer.SpillPath} instead (see errors above)" : "")
                + (writer.Failed > 0 ? $", {writer.Failed} NOT written (see errors above)" : "");
            logger.LogInformation("Stopped: {Seen} flows seen, {Flagged} flagged, {Written} written to {Database}{Unstored}",
                view.Seen, view.Flagged, writer.Written, settings.Database.Display, unstored);
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// Starts the run's session. A label given twice is refused (reports would merge two audits); the default one is
    /// made unique, again if another proxy on the same database took it meanwhile.
    /// </summary>
    private static (long Id, string Label) StartSession(ISessionStore sessions, RunSettings settings, string ruleSetHash)
    {
        for (var attempt = 0; ; attempt++)
        {
            var label = settings.SessionLabel ?? sessions.FreeLabel($"session {DateTimeOffset.Now:yyyy-MM-dd HH:mm}");
            try
            {
                return (sessions.Start(label, Version, ruleSetHash, settings.Detection?.ProfileText, RecordedSettings(settings).ToJsonString(), DateTimeOffset.UtcNow), label);
            }
            catch (DuplicateSessionLabelException) when (settings.SessionLabel is null && attempt < 10)
            {
            }
        }
    }

    // The store is opened again to close the session: an SQLite file replaced during the run is the one at the path now.
    private static void CloseSession(RunSettings settings, long sessionId, ILogger logger)
    {
        try
        {
            using var store = AuditStores.Open(settings.Database);
            store.Sessions.End(sessionId, DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is StorageException or System.Data.Common.DbException)
        {
            logger.LogError("Could not record the end of session {SessionId}: {Reason}", sessionId, e.Message);
        }
    }

    private static void DiscardSession(RunSettings settings, long sessionId, ILogger logger)
    {
        try
        {
            using var store = AuditStores.Open(settings.Database);
            store.Sessions.Discard(sessionId);
        }
        catch (Exception e) when (e is StorageException or System.Data.Common.DbException)
        {
            logger.LogError("Could not remove the session {SessionId} of this failed start: {Reason}", sessionId, e.Message);
        }
    }

    /// <summary>The live view masks the profile's identifiers in all their forms, and every identifier a finding holds.</summary>
    private static MaskingPolicy LiveMasking(RunSettings settings) => !settings.Mask ? MaskingPolicy.None
        : MaskingPolicy.For(settings.Detection?.Profile.Identifiers.Select(i => (i.Field, i.Value)) ?? []);

    private static void ReportSetup(ILogger logger, RunSettings settings, CertificateAuthority authority, Detection.DetectionEngine? engine)
    {
        if (authority.Created)
        {
            logger.LogInformation("Created a new MiAudit root CA in {Directory}", authority.Directory);
        }

        if (settings.Proxy.InsecureUpstream)
        {
            logger.LogWarning("Upstream certificate verification is OFF (--insecure-upstream): MiAudit will talk to impostors without noticing");
        }

        if (engine is null)
        {
            logger.LogWarning("Detection is off (--no-detect): nothing is flagged");
            return;
        }

        logger.LogInformation("Detection: {Rules} rules (set {Hash}), device profile {Profile}",
            engine.Rules.Rules.Count(r => r.Enabled), engine.Rules.Hash,
            engine.Profile.Identifiers.Count == 0 ? "none (identifiers are only recognised by their shape)" : $"with {engine.Profile.Identifiers.Count} identifiers");
        foreach (var skipped in engine.SkippedProfileValues)
        {
            logger.LogWarning("Profile value {Field}={Value} is too short or a placeholder; it is not searched for", skipped.Field, skipped.Value);
        }
    }

    private static JsonObject RecordedSettings(RunSettings settings)
    {
        var recorded = new JsonObject
        {
            ["store"] = settings.Store.StoreAll ? "all" : "flagged",
            ["minSeverity"] = settings.Store.FlagThreshold.ToString(),
        };
        return settings.Detection?.Recorded(recorded) ?? recorded;
    }
}
