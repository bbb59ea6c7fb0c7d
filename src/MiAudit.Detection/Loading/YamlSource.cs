using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiAudit.Detection.Loading;

/// <summary>
/// Reads YAML (and JSON, which YAML accepts) into nodes that remember their line, so every error in a
/// researcher's file can name the place: <c>rules.yaml:12:5: unknown severity 'hgh'</c>.
/// </summary>
internal sealed class YamlSource(string name)
{
    public string Name { get; } = name;

    public YamlNode Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigurationFileException(Name, e.Start.Line, e.Start.Column, e.InnerException?.Message ?? e.Message, e);
        }

        if (stream.Documents.Count == 0)
        {
            throw new ConfigurationFileException(Name, 1, 1, "the file is empty");
        }

        return stream.Documents[0].RootNode;
    }

    public ConfigurationFileException Error(YamlNode node, string reason) =>
        new(Name, node.Start.Line, node.Start.Column, reason);

    public YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value)");

    public string Scalar(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"{what} must be a single value");

    /// <summary>A single value or a list of values.</summary>
    public List<string> Strings(YamlNode node, string what) => node switch
    {
        YamlScalarNode scalar => [Scalar(scalar, what)],
        YamlSequenceNode sequence => sequence.Children.Select(child => Scalar(child, what)).ToList(),
        _ => throw Error(node, $"{what} must be a value or a list of values"),
    };

    public YamlNode? Optional(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public YamlNode Required(YamlMappingNode mapping, string key, string what) =>
        Optional(mapping, key) ?? throw Error(mapping, $"{what} needs '{key}'");

    /// <summary>Refuses keys the format does not know, so a typo does not silently disable part of a rule.</summary>
    public void OnlyKeys(YamlMappingNode mapping, string what, params string[] allowed)
    {
        foreach (var key in mapping.Children.Keys)
        {
            var name = Scalar(key, "a key");
            if (!allowed.Contains(name))
            {
                throw Error(key, $"unknown key '{name}' in {what} (expected one of: {string.Join(", ", allowed)})");
            }
        }
    }
}
