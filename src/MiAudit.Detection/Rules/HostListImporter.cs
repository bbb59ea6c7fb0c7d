using System.Text.Json;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Loading;

namespace MiAudit.Detection.Rules;

/// <summary>
/// Turns tracker host lists researchers already have into endpoint rules: a plain list of domains (one per line,
/// <c>#</c> comments, hosts-file lines like <c>0.0.0.0 tracker.example</c>), or the Exodus Privacy tracker JSON whose
/// <c>network_signature</c> regular expressions name hosts.
/// </summary>
public static class HostListImporter
{
    public static IReadOnlyList<Rule> Import(string text, string sourceName)
    {
        var trimmed = text.TrimStart();
        return trimmed.StartsWith('{') ? FromExodus(text, sourceName) : FromDomainList(text, sourceName);
    }

    private static IReadOnlyList<Rule> FromDomainList(string text, string sourceName)
    {
        var hosts = new List<TextPattern>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var domain = fields.Length > 1 && System.Net.IPAddress.TryParse(fields[0], out _) ? fields[1] : fields[0];
            domain = domain.TrimStart('*', '.');
            if (domain.Length == 0 || domain.Contains('/') || domain == "localhost")
            {
                continue;
            }

            try
            {
                // A listed domain covers its subdomains, as block lists mean it.
                hosts.Add(TextPattern.ForHost(domain));
                hosts.Add(TextPattern.ForHost("*." + domain));
            }
            catch (FormatException e)
            {
                throw new ConfigurationFileException(sourceName, lineNumber, 1, e.Message);
            }
        }

        var name = Path.GetFileName(sourceName);
        return
        [
            new Rule
            {
                Id = "hostlist." + Slug(Path.GetFileNameWithoutExtension(sourceName)),
                Kind = RuleKind.Endpoint,
                Title = $"Host on tracker list {name}",
                Category = "tracker",
                Severity = Severity.Low,
                Description = $"{hosts.Count / 2} domains imported from {name}.",
                Source = sourceName,
                Endpoint = new EndpointPattern(hosts, null, [], []),
            },
        ];
    }

    private static IReadOnlyList<Rule> FromExodus(string text, string sourceName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new ConfigurationFileException(sourceName, (e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1, e.Message);
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("trackers", out var trackers) || trackers.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigurationFileException(sourceName, 1, 1, "an Exodus tracker file has a 'trackers' object");
            }

            var rules = new List<Rule>();
            foreach (var tracker in trackers.EnumerateObject())
            {
                var signature = tracker.Value.TryGetProperty("network_signature", out var s) ? s.GetString() : null;
                if (string.IsNullOrWhiteSpace(signature))
                {
                    continue;
                }

                var name = tracker.Value.TryGetProperty("name", out var n) ? n.GetString() ?? tracker.Name : tracker.Name;
                TextPattern host;
                try
                {
                    host = TextPattern.ForHost("re:" + signature);
                }
                catch (ArgumentException e)
                {
                    throw new ConfigurationFileException(sourceName, 1, 1, $"tracker '{name}': {e.Message}");
                }

                rules.Add(new Rule
                {
                    Id = $"exodus.{tracker.Name}-{Slug(name)}",
                    Kind = RuleKind.Endpoint,
                    Title = $"Exodus tracker: {name}",
                    Category = "tracker",
                    Severity = Severity.Low,
                    Description = tracker.Value.TryGetProperty("website", out var w) ? w.GetString() ?? "" : "",
                    Source = sourceName,
                    Endpoint = new EndpointPattern([host], null, [], []),
                });
            }

            return rules;
        }
    }

    private static string Slug(string text) =>
        new string(text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
}
