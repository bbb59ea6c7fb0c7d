using System.CommandLine;
using System.Text.Json.Nodes;
using MiAudit.Detection;
using MiAudit.Detection.Loading;
using MiAudit.Detection.Profiles;
using MiAudit.Detection.Rules;

namespace MiAudit.Cli.Options;

/// <summary>Options that decide what detection looks for: rule files, tracker host lists, the device profile.</summary>
public sealed class DetectionOptions
{
    private readonly Option<string[]> _rules = new("--rules")
    {
        Description = "Rule file or folder of *.yaml/*.yml/*.json rules, on top of the built-in rules (repeatable; same id overrides)",
        HelpName = "FILE|DIR",
    };

    private readonly Option<FileInfo[]> _hostLists = new("--host-list")
    {
        Description = "Tracker host list to flag: one domain per line (hosts-file lines accepted) or Exodus tracker JSON (repeatable)",
        HelpName = "FILE",
    };

    private readonly Option<FileInfo?> _profile = new("--device-profile")
    {
        Description = "YAML or JSON file with the test phone's identifiers and attributes (see docs/rules.md)",
        HelpName = "FILE",
    };

    private readonly Option<double?> _visitWindow = new("--visit-window")
    {
        Description = "A visited URL also counts in requests that finished up to this many seconds before the visit (a browser's "
            + "typed-URL telemetry can arrive first); live, recent flows are re-checked when a page is visited (default: 30, "
            + "for scan: what the session was recorded with)",
        HelpName = "SECONDS",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_rules);
        command.Options.Add(_hostLists);
        command.Options.Add(_profile);
        command.Options.Add(_visitWindow);
    }

    /// <summary>The --visit-window given, if one was.</summary>
    /// <exception cref="UsageException">The window is negative or over an hour.</exception>
    public TimeSpan? GivenWindow(ParseResult result) => result.GetValue(_visitWindow) switch
    {
        null => null,
        >= 0 and <= 3600 and var seconds => TimeSpan.FromSeconds(seconds),
        var seconds => throw new UsageException($"--visit-window {seconds}: use 0 to 3600 seconds"),
    };

    /// <summary><paramref name="setup"/> with the --visit-window given, if one was.</summary>
    /// <exception cref="UsageException">The window is negative or over an hour.</exception>
    public DetectionSetup WithGivenWindow(ParseResult result, DetectionSetup setup) =>
        GivenWindow(result) is { } window ? setup with { VisitWindow = window } : setup;

    /// <summary>Whether any detection option was given (else <c>scan</c> uses what each session was recorded with).</summary>
    public bool AnyGiven(ParseResult result) =>
        (result.GetValue(_rules) ?? []).Length > 0 || (result.GetValue(_hostLists) ?? []).Length > 0 || result.GetValue(_profile) is not null;

    /// <exception cref="UsageException">A file is missing or invalid (the message names file and line).</exception>
    public DetectionSetup Bind(ParseResult result)
    {
        try
        {
            var sources = new List<DetectionSource>();
            foreach (var file in RuleFiles(result.GetValue(_rules) ?? []))
            {
                sources.Add(new DetectionSource(DetectionSource.RuleFile, file, File.ReadAllText(file)));
            }

            foreach (var list in result.GetValue(_hostLists) ?? [])
            {
                sources.Add(new DetectionSource(DetectionSource.HostList, list.FullName, File.ReadAllText(list.FullName)));
            }

            var profileFile = result.GetValue(_profile);
            var profileText = profileFile is null ? null : File.ReadAllText(profileFile.FullName);
            return WithGivenWindow(result, DetectionSetup.From(sources, profileText, profileFile?.FullName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The files a --rules value names: itself, or a folder's *.yaml, *.yml and *.json files, sorted.</summary>
    private static IEnumerable<string> RuleFiles(IEnumerable<string> paths) => paths.SelectMany<string, string>(path => Directory.Exists(path)
        ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml") || f.EndsWith(".yml") || f.EndsWith(".json")).Order()
        : [Path.GetFullPath(path)]);
}

/// <summary>A rule file or host list as it was read: kept with the session, so a later scan can use the same.</summary>
public sealed record DetectionSource(string Kind, string Name, string Text)
{
    public const string RuleFile = "rules";
    public const string HostList = "host-list";
}

/// <summary>The rules and profile in force, and what they were made from (stored with the session).</summary>
public sealed record DetectionSetup(RuleSet Rules, DeviceProfile Profile, string? ProfileText, IReadOnlyList<DetectionSource> Sources)
{
    /// <summary>The key of the sources in a session's settings JSON.</summary>
    public const string SettingsKey = "detectionSources";

    /// <summary>The key of the visit window (seconds) in a session's settings JSON.</summary>
    public const string WindowKey = "visitWindowSeconds";

    public TimeSpan VisitWindow { get; init; } = DetectionEngine.DefaultVisitWindow;

    public DetectionEngine CreateEngine() => new(Rules, Profile, visitWindow: VisitWindow);

    /// <summary>
    /// What a session records of this setup besides the profile (the sources, whole, and the visit window), added to
    /// the session's other <paramref name="settings"/>; <see cref="FromSession"/> reads it back.
    /// </summary>
    public JsonObject Recorded(JsonObject settings)
    {
        settings[SettingsKey] = new JsonArray(Sources.Select(s => (JsonNode)new JsonObject
        {
            ["kind"] = s.Kind,
            ["name"] = s.Name,
            ["text"] = s.Text,
        }).ToArray());
        settings[WindowKey] = VisitWindow.TotalSeconds;
        return settings;
    }

    /// <summary>The setup a session was recorded with: its stored profile and the sources in its settings.</summary>
    /// <exception cref="UsageException">What was stored no longer parses.</exception>
    public static DetectionSetup FromSession(string? profileText, string? settingsJson)
    {
        var sources = new List<DetectionSource>();
        var window = DetectionEngine.DefaultVisitWindow;
        if (settingsJson is not null)
        {
            using var settings = System.Text.Json.JsonDocument.Parse(settingsJson);
            if (settings.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                if (settings.RootElement.TryGetProperty(SettingsKey, out var stored))
                {
                    foreach (var source in stored.EnumerateArray())
                    {
                        sources.Add(new DetectionSource(source.GetProperty("kind").GetString()!, source.GetProperty("name").GetString()!, source.GetProperty("text").GetString()!));
                    }
                }

                if (settings.RootElement.TryGetProperty(WindowKey, out var seconds) && seconds.TryGetDouble(out var value))
                {
                    window = TimeSpan.FromSeconds(value);
                }
            }
        }

        return From(sources, profileText, "the session's stored device profile") with { VisitWindow = window };
    }

    /// <summary>One line for the researcher: which profile, rule files and host lists.</summary>
    public string Describe()
    {
        var profile = ProfileText is null ? "no device profile" : $"device profile {Profile.Name ?? "(unnamed)"}";
        var rules = Sources.Count(s => s.Kind == DetectionSource.RuleFile);
        var lists = Sources.Count(s => s.Kind == DetectionSource.HostList);
        return $"{profile}, built-in rules + {rules} rule file(s), {lists} host list(s), visit window {VisitWindow.TotalSeconds:0.###} s";
    }

    /// <exception cref="UsageException">A source is invalid (the message names it and the line).</exception>
    public static DetectionSetup From(IReadOnlyList<DetectionSource> sources, string? profileText, string? profileName)
    {
        try
        {
            var rules = RuleSet.BuiltIn();
            foreach (var source in sources)
            {
                rules = source.Kind == DetectionSource.HostList
                    ? rules.With(HostListImporter.Import(source.Text, source.Name), source.Text)
                    : rules.With(source.Text, source.Name);
            }

            var profile = profileText is null ? DeviceProfile.Empty : DeviceProfile.Parse(profileText, profileName ?? "the stored device profile");
            return new DetectionSetup(rules, profile, profileText, sources);
        }
        catch (ConfigurationFileException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
