using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Cli.Options;
using MiAudit.Detection.Findings;
using MiAudit.Flows;
using MiAudit.Proxy;
using MiAudit.Storage;
using Serilog.Events;

namespace MiAudit.Cli.Run;

/// <summary><c>miaudit run</c>: its options, and turning them into settings. The work itself is in <see cref="ProxyRunner"/>.</summary>
public sealed class RunCommand
{
    private readonly Option<DirectoryInfo> _certsDir;

    private readonly Option<string> _listen = new("--listen", "-l")
    {
        Description = "Address and port to listen on. 0.0.0.0 lets a phone on the same Wi-Fi connect",
        HelpName = "ADDRESS:PORT",
        DefaultValueFactory = _ => "0.0.0.0:8080",
    };

    private readonly Option<string[]> _passthrough = new("--passthrough")
    {
        Description = "Relay this host's TLS untouched (repeatable; '*.example.com' matches names below it)",
        HelpName = "HOST",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _allowClient = new("--allow-client")
    {
        Description = "Accept clients from this network only (repeatable; default: private addresses — loopback, 10/8, 172.16/12, 192.168/16, link-local, ULA, 100.64/10)",
        HelpName = "CIDR",
    };

    private readonly Option<string?> _proxyAuth = new("--proxy-auth")
    {
        Description = "Require HTTP Basic proxy authentication (407 otherwise)",
        HelpName = "USER:PASSWORD",
    };

    private readonly Option<bool> _allowLoopbackUpstream = new("--allow-loopback-upstream")
    {
        Description = "Allow connections to this machine itself (loopback, own addresses); refused by default so the phone cannot reach your local services",
    };

    private readonly Option<bool> _noAutoPassthrough = new("--no-auto-passthrough")
    {
        Description = "Keep intercepting hosts whose clients keep refusing the MiAudit certificate (pinning)",
    };

    private readonly Option<string[]> _mapHost = new("--map-host")
    {
        Description = "Connect to IP (and PORT, if given) whenever NAME is requested, like curl --resolve; TLS still uses NAME (repeatable)",
        HelpName = "NAME=IP[:PORT]",
    };

    private readonly Option<FileInfo[]> _upstreamCa = new("--upstream-ca")
    {
        Description = "Also trust this CA (PEM or DER) when verifying servers (repeatable)",
        HelpName = "FILE",
    };

    private readonly Option<bool> _insecureUpstream = new("--insecure-upstream")
    {
        Description = "Do not verify server certificates at all (logged loudly; for lab servers only)",
    };

    private readonly Option<string> _captureLimit = new("--capture-limit")
    {
        Description = "Body bytes kept per request and per response; bodies stream through regardless",
        HelpName = "SIZE",
        DefaultValueFactory = _ => "4MiB",
    };

    private readonly Option<string> _maxRequestLine = new("--max-request-line")
    {
        Description = "Longest request line (and HTTP/2 header field) accepted; longer requests are answered 414/431 and stored as rejected flows",
        HelpName = "SIZE",
        DefaultValueFactory = _ => "64KiB",
    };

    private readonly Option<string> _maxRequestHeaders = new("--max-request-headers")
    {
        Description = "Largest request head (all header fields together) accepted; larger heads are answered 431 and stored as rejected flows",
        HelpName = "SIZE",
        DefaultValueFactory = _ => "256KiB",
    };

    private readonly Option<string> _idleTimeout = new("--idle-timeout")
    {
        Description = "How long a request or response may stay silent before the exchange fails with 504 (long polls need minutes)",
        HelpName = "DURATION",
        DefaultValueFactory = _ => Duration.Format(ProxyOptions.DefaultIdleTimeout),
    };

    private readonly Option<string> _upgradedIdleTimeout = new("--upgraded-idle-timeout")
    {
        Description = "How long a WebSocket or other upgraded stream may stay silent both ways before it is closed; none keeps it open while both ends do",
        HelpName = "DURATION",
        DefaultValueFactory = _ => Duration.Format(ProxyOptions.DefaultUpgradedIdleTimeout),
    };

    private readonly Option<bool> _noHttp2 = new("--no-http2")
    {
        Description = "Offer only HTTP/1.1 to clients inside intercepted TLS",
    };

    private readonly Option<DirectoryInfo?> _logDir = new("--log-dir")
    {
        Description = "Folder for the JSON-lines log file (rolled daily)",
        HelpName = "DIR",
        DefaultValueFactory = _ => new DirectoryInfo("logs"),
    };

    private readonly Option<string?> _db = DatabaseOption.Create();
    private readonly Ui.UiAddressOptions _ui = new();

    private readonly Option<string?> _sessionLabel = new("--session-label")
    {
        Description = "Name of this audit session, e.g. \"mi-browser incognito\" (default: the start time, made unique)",
        HelpName = "TEXT",
    };

    private readonly Option<string> _store = new("--store")
    {
        Description = "What to store: 'flagged' flows (with bodies) or 'all' flows",
        HelpName = "flagged|all",
        DefaultValueFactory = _ => "flagged",
    };

    private readonly Option<bool> _unflaggedBodies = new("--store-unflagged-bodies")
    {
        Description = "With --store all, keep the bodies of unflagged flows too (off: headers and sizes only)",
    };

    private readonly Option<string[]> _redact = new("--redact-headers")
    {
        Description = "Store these headers' values as [redacted], e.g. cookie,authorization (comma-separated or repeated)",
        HelpName = "NAMES",
    };

    private readonly Option<string> _minSeverity = new("--min-severity")
    {
        Description = "A flow is flagged (shown live and stored) when a finding is at least: info, low, medium, high, critical",
        HelpName = "LEVEL",
        DefaultValueFactory = _ => "low",
    };

    private readonly Option<bool> _noDetect = new("--no-detect") { Description = "Forward only: no detection (with --store all, flows are still stored)" };

    private readonly Option<bool> _mask = new("--mask") { Description = "Mask identifier values in the live view and the web UI" };

    private readonly DetectionOptions _detection = new();

    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "Show every flow live and log connection details" };

    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Live view: summary lines only, no line per finding; log warnings and errors only" };

    public RunCommand(Option<DirectoryInfo> certsDir)
    {
        _certsDir = certsDir;
        Command = new Command("run", "Run the intercepting proxy (the default command)");
        AddTo(Command);
    }

    public Command Command { get; }

    /// <summary>Adds the run options and action to <paramref name="command"/> (the root command runs too).</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
        {
            _listen, _sessionLabel, _db, _store, _unflaggedBodies, _redact, _minSeverity, _noDetect, _mask,
            _allowClient, _proxyAuth, _allowLoopbackUpstream, _passthrough, _noAutoPassthrough, _mapHost, _upstreamCa, _insecureUpstream, _captureLimit, _maxRequestLine, _maxRequestHeaders, _idleTimeout, _upgradedIdleTimeout, _noHttp2, _logDir, _verbose, _quiet,
        })
        {
            command.Options.Add(option);
        }

        _detection.AddTo(command);
        _ui.AddTo(command, canSwitchOff: true);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            RunSettings settings;
            try
            {
                settings = Bind(parseResult);
            }
            catch (UsageException e)
            {
                return Report.Error(e.Message, ExitCodes.Usage);
            }

            return await ProxyRunner.RunAsync(settings);
        });
    }

    private RunSettings Bind(ParseResult result)
    {
        var proxy = new ProxyOptions
        {
            ListenEndPoint = ListenAddress.Parse(result.GetValue(_listen)!),
            InsecureUpstream = result.GetValue(_insecureUpstream),
            EnableHttp2 = !result.GetValue(_noHttp2),
            AllowLoopbackUpstream = result.GetValue(_allowLoopbackUpstream),
            ProxyAuthentication = result.GetValue(_proxyAuth) is { } credentials
                ? Validated(() => { _ = new Proxy.Access.ProxyAuthentication(credentials); return credentials; }, "--proxy-auth")
                : null,
        };

        foreach (var network in result.GetValue(_allowClient) ?? [])
        {
            proxy.AllowedClients.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                ? parsed
                : throw new UsageException($"--allow-client '{network}' is not a network in CIDR form (e.g. 192.168.1.0/24)"));
        }

        var captureLimit = ByteSize.Parse(result.GetValue(_captureLimit)!);
        proxy.BodyCaptureLimit = captureLimit is >= 0 and <= int.MaxValue
            ? (int)captureLimit
            : throw new UsageException("--capture-limit must be between 0 and 2 GiB");
        proxy.MaxRequestLineBytes = HeadLimit(result.GetValue(_maxRequestLine)!, "--max-request-line");
        proxy.MaxRequestHeadersBytes = HeadLimit(result.GetValue(_maxRequestHeaders)!, "--max-request-headers");
        proxy.UpstreamActivityTimeout = Duration.Parse(result.GetValue(_idleTimeout)!, "--idle-timeout") is var idle && idle != Timeout.InfiniteTimeSpan
            ? idle
            : throw new UsageException("--idle-timeout needs a duration (e.g. 10m); only --upgraded-idle-timeout can be none");
        proxy.UpgradedIdleTimeout = Duration.Parse(result.GetValue(_upgradedIdleTimeout)!, "--upgraded-idle-timeout");
        if (result.GetValue(_noAutoPassthrough))
        {
            proxy.AutoPassthroughAfterFailures = 0;
        }

        foreach (var host in result.GetValue(_passthrough) ?? [])
        {
            proxy.PassthroughHosts.Add(Validated(() => new HostPattern(host).Text, "--passthrough"));
        }

        foreach (var mapping in result.GetValue(_mapHost) ?? [])
        {
            Validated(() => { proxy.HostMap.Add(mapping); return mapping; }, "--map-host");
        }

        if (!proxy.AllowLoopbackUpstream && proxy.HostMap.Entries.FirstOrDefault(e => System.Net.IPAddress.IsLoopback(e.Address)) is { Pattern: not null } local)
        {
            throw new UsageException($"--map-host {local.Pattern}={local.Address} points at this machine, which MiAudit refuses by default; add --allow-loopback-upstream");
        }

        foreach (var file in result.GetValue(_upstreamCa) ?? [])
        {
            proxy.UpstreamTrustedCas.Add(LoadCertificate(file));
        }

        var verbosity = result.GetValue(_verbose) ? LogEventLevel.Debug
            : result.GetValue(_quiet) ? LogEventLevel.Warning
            : LogEventLevel.Information;
        var store = result.GetValue(_store) switch
        {
            "flagged" => false,
            "all" => true,
            var other => throw new UsageException($"--store '{other}': use flagged or all"),
        };
        var threshold = SeverityNames.TryParse(result.GetValue(_minSeverity), out var severity)
            ? severity
            : throw new UsageException($"--min-severity '{result.GetValue(_minSeverity)}': use info, low, medium, high or critical");
        var redacted = (result.GetValue(_redact) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return new RunSettings(
            proxy,
            result.GetValue(_certsDir)!,
            result.GetValue(_logDir),
            verbosity,
            ParseStore(DatabaseOption.Resolve(result.GetValue(_db))),
            result.GetValue(_sessionLabel),
            new Run.StorePolicy(store, result.GetValue(_unflaggedBodies), threshold),
            new HeaderRedactor(redacted),
            result.GetValue(_noDetect) ? null : _detection.Bind(result),
            result.GetValue(_mask),
            _ui.Bind(result));
    }

    private static StoreAddress ParseStore(string text)
    {
        try
        {
            return StoreAddress.Parse(text);
        }
        catch (StorageException e)
        {
            throw new UsageException($"--db: {e.Message}");
        }
    }

    private static int HeadLimit(string text, string option) => ByteSize.Parse(text) is var size and >= 1024 and <= 16 * 1024 * 1024
        ? (int)size
        : throw new UsageException($"{option} must be between 1KiB and 16MiB");

    private static string Validated(Func<string> parse, string option)
    {
        try
        {
            return parse();
        }
        catch (FormatException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }

    private static X509Certificate2 LoadCertificate(FileInfo file)
    {
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(file.FullName);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new UsageException($"--upstream-ca {file}: cannot read a certificate ({e.Message})");
        }
    }
}

/// <summary>What <c>miaudit run</c> was asked to do.</summary>
public sealed record RunSettings(
    ProxyOptions Proxy,
    DirectoryInfo CertsDirectory,
    DirectoryInfo? LogDirectory,
    LogEventLevel ConsoleLevel,
    StoreAddress Database,
    string? SessionLabel,
    StorePolicy Store,
    HeaderRedactor Redactor,
    DetectionSetup? Detection,
    bool Mask,
    System.Net.IPEndPoint? Ui = null);
