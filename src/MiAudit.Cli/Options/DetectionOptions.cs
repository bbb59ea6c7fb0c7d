using System.CommandLine;
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

    public void AddTo(Command command)
    {
        command.Options.Add(_rules);
        command.Options.Add(_hostLists);
        command.Options.Add(_profile);
    }

    /// <exception cref="UsageException">A file is missing or invalid (the message names file and line).</exception>
    public DetectionSetup Bind(ParseResult result)
    {
        try
        {
            var rules = RuleSet.Load(result.GetValue(_rules) ?? []);
            foreach (var list in result.GetValue(_hostLists) ?? [])
            {
                var text = File.ReadAllText(list.FullName);
                rules = rules.With(HostListImporter.Import(text, list.FullName), text);
            }

            var profileFile = result.GetValue(_profile);
            var profileText = profileFile is null ? null : File.ReadAllText(profileFile.FullName);
            var profile = profileText is null ? DeviceProfile.Empty : DeviceProfile.Parse(profileText, profileFile!.FullName);
            return new DetectionSetup(rules, profile, profileText);
        }
        catch (ConfigurationFileException e)
        {
            throw new UsageException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException(e.Message);
        }
    }
}

/// <summary>The rules and profile in force, and the profile as written (stored with the session).</summary>
public sealed record DetectionSetup(RuleSet Rules, DeviceProfile Profile, string? ProfileText)
{
    public DetectionEngine CreateEngine() => new(Rules, Profile);
}
