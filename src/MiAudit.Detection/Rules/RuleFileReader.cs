using System.Text.RegularExpressions;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Loading;
using YamlDotNet.RepresentationModel;

namespace MiAudit.Detection.Rules;

/// <summary>
/// Reads a rule file (YAML, or JSON): a <c>rules:</c> list, or a bare list, of rule mappings.
/// Everything wrong is reported with file, line and reason; see docs/rules.md for the format.
/// </summary>
public static class RuleFileReader
{
    private static readonly Dictionary<string, RuleKind> Kinds = new()
    {
        ["endpoint"] = RuleKind.Endpoint,
        ["visited-url"] = RuleKind.VisitedUrl,
        ["referer-url"] = RuleKind.RefererUrl,
        ["search-term"] = RuleKind.SearchTerm,
        ["device-identifier"] = RuleKind.DeviceIdentifier,
        ["device-attribute"] = RuleKind.DeviceAttribute,
        ["identifier-format"] = RuleKind.IdentifierFormat,
        ["encrypted-payload"] = RuleKind.EncryptedPayload,
        ["value"] = RuleKind.Value,
    };

    public static string KindName(RuleKind kind) => Kinds.First(k => k.Value == kind).Key;

    /// <exception cref="ConfigurationFileException">With the file, line and reason.</exception>
    public static IReadOnlyList<Rule> Parse(string text, string sourceName)
    {
        var source = new YamlSource(sourceName);
        var root = source.Parse(text);
        if (root is YamlMappingNode mapping)
        {
            source.OnlyKeys(mapping, "a rule file", "rules");
            root = source.Required(mapping, "rules", "a rule file");
        }

        if (root is not YamlSequenceNode list)
        {
            throw source.Error(root, "a rule file is a list of rules, or a mapping with a 'rules:' list");
        }

        var rules = new List<Rule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in list.Children)
        {
            var rule = ParseRule(source, source.Mapping(node, "a rule"));
            if (!ids.Add(rule.Id))
            {
                throw source.Error(node, $"rule id '{rule.Id}' appears twice in this file");
            }

            rules.Add(rule);
        }

        return rules;
    }

    private static Rule ParseRule(YamlSource source, YamlMappingNode node)
    {
        source.OnlyKeys(node, "a rule", "id", "kind", "title", "category", "severity", "description", "enabled", "references", "match", "payload");
        var id = source.Scalar(source.Required(node, "id", "a rule"), "id");
        if (!Regex.IsMatch(id, "^[a-z0-9][a-z0-9._-]*$"))
        {
            throw source.Error(node, $"rule id '{id}' must be lower-case letters, digits, '.', '_' or '-'");
        }

        var kindNode = source.Required(node, "kind", $"rule '{id}'");
        var kindName = source.Scalar(kindNode, "kind");
        if (!Kinds.TryGetValue(kindName, out var kind))
        {
            throw source.Error(kindNode, $"unknown kind '{kindName}' (expected one of: {string.Join(", ", Kinds.Keys)})");
        }

        var severityNode = source.Required(node, "severity", $"rule '{id}'");
        if (!SeverityNames.TryParse(source.Scalar(severityNode, "severity"), out var severity))
        {
            throw source.Error(severityNode, $"unknown severity '{source.Scalar(severityNode, "severity")}' (info, low, medium, high, critical)");
        }

        var enabled = true;
        if (source.Optional(node, "enabled") is { } enabledNode && !bool.TryParse(source.Scalar(enabledNode, "enabled"), out enabled))
        {
            throw source.Error(enabledNode, "enabled must be true or false");
        }

        var match = source.Optional(node, "match") is { } matchNode ? source.Mapping(matchNode, "match") : null;
        var rule = new Rule
        {
            Id = id,
            Kind = kind,
            Title = source.Scalar(source.Required(node, "title", $"rule '{id}'"), "title"),
            Category = source.Scalar(source.Required(node, "category", $"rule '{id}'"), "category"),
            Severity = severity,
            Description = source.Optional(node, "description") is { } description ? source.Scalar(description, "description").Trim() : "",
            Enabled = enabled,
            References = source.Optional(node, "references") is { } references ? source.Strings(references, "references") : [],
            Source = $"{source.Name}:{node.Start.Line}",
        };

        var payload = source.Optional(node, "payload");
        if (payload is not null && kind != RuleKind.Endpoint)
        {
            throw source.Error(payload, $"only endpoint rules take a 'payload' layout; '{id}' is of kind '{kindName}'");
        }

        return kind switch
        {
            RuleKind.Endpoint => rule with
            {
                Endpoint = ParseEndpoint(source, match ?? throw source.Error(node, $"endpoint rule '{id}' needs 'match'")),
                Payload = payload is null ? null : ParsePayload(source, source.Mapping(payload, "a payload layout")),
            },
            RuleKind.Value => ParseValues(source, rule, match ?? throw source.Error(node, $"value rule '{id}' needs 'match'")),
            _ when match is not null => throw source.Error(match, $"rules of kind '{kindName}' take no 'match'; their detector is built in"),
            _ => rule,
        };
    }

    private static EndpointPattern ParseEndpoint(YamlSource source, YamlMappingNode match)
    {
        source.OnlyKeys(match, "an endpoint match", "hosts", "path", "methods", "params");
        var hosts = new List<TextPattern>();
        if (source.Optional(match, "hosts") is { } hostsNode)
        {
            foreach (var host in source.Strings(hostsNode, "hosts"))
            {
                hosts.Add(Compile(source, hostsNode, () => TextPattern.ForHost(host)));
            }
        }

        TextPattern? path = null;
        if (source.Optional(match, "path") is { } pathNode)
        {
            var text = source.Scalar(pathNode, "path");
            path = Compile(source, pathNode, () => TextPattern.ForPath(text));
        }

        var methods = source.Optional(match, "methods") is { } methodsNode ? source.Strings(methodsNode, "methods") : [];
        var groups = new List<IReadOnlyList<string>>();
        if (source.Optional(match, "params") is YamlSequenceNode paramsNode)
        {
            foreach (var group in paramsNode.Children)
            {
                groups.Add(source.Strings(group, "a parameter group"));
            }
        }
        else if (source.Optional(match, "params") is { } other)
        {
            throw source.Error(other, "params is a list; each entry is a name or a list of alternative names");
        }

        if (hosts.Count == 0 && path is null)
        {
            throw source.Error(match, "an endpoint match needs 'hosts' or 'path'");
        }

        return new EndpointPattern(hosts, path, methods, groups);
    }

    /// <summary><c>sdk:</c> the SDK's name; <c>fields:</c> field path (indexes left out) → what it holds.</summary>
    private static PayloadLayout ParsePayload(YamlSource source, YamlMappingNode payload)
    {
        source.OnlyKeys(payload, "a payload layout", "sdk", "fields", "urls");
        var sdk = source.Scalar(source.Required(payload, "sdk", "a payload layout"), "sdk");
        var fieldsNode = source.Mapping(source.Required(payload, "fields", "a payload layout"), "fields");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in fieldsNode.Children)
        {
            var field = source.Scalar(key, "a field path");
            if (field.Length == 0 || field.Contains('[') || field.StartsWith('.') || field.EndsWith('.'))
            {
                throw source.Error(key, $"field path '{field}' must be names joined by '.', without indexes (properties.$url, 1.46)");
            }

            if (!fields.TryAdd(field, source.Scalar(value, $"what field '{field}' holds")))
            {
                throw source.Error(key, $"field '{field}' appears twice in this layout");
            }
        }

        var urls = new List<string[]>();
        if (source.Optional(payload, "urls") is YamlSequenceNode urlsNode)
        {
            foreach (var parts in urlsNode.Children)
            {
                var names = source.Strings(parts, "a URL's fields");
                if (names.Count is < 2 or > 3)
                {
                    throw source.Error(parts, "a URL's fields are [host, path] or [host, path, query]");
                }

                urls.Add([.. names]);
            }
        }
        else if (source.Optional(payload, "urls") is { } other)
        {
            throw source.Error(other, "urls is a list of [host, path] or [host, path, query] field lists");
        }

        return new PayloadLayout(sdk, fields, urls);
    }

    private static Rule ParseValues(YamlSource source, Rule rule, YamlMappingNode match)
    {
        source.OnlyKeys(match, "a value match", "values", "regex");
        var values = source.Optional(match, "values") is { } valuesNode ? source.Strings(valuesNode, "values") : [];
        var patterns = new List<Regex>();
        if (source.Optional(match, "regex") is { } regexNode)
        {
            foreach (var text in source.Strings(regexNode, "regex"))
            {
                patterns.Add(Compile(source, regexNode, () => new Regex(text, RuleRegex.Options)));
            }
        }

        if (values.Count == 0 && patterns.Count == 0)
        {
            throw source.Error(match, "a value match needs 'values' or 'regex'");
        }

        if (values.FirstOrDefault(v => v.Length < 4) is { } tooShort)
        {
            throw source.Error(match, $"value '{tooShort}' is too short to search for (4 characters at least)");
        }

        return rule with { Values = values, Patterns = patterns };
    }

    private static T Compile<T>(YamlSource source, YamlNode node, Func<T> compile)
    {
        try
        {
            return compile();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException)
        {
            throw source.Error(node, e.Message);
        }
    }
}
