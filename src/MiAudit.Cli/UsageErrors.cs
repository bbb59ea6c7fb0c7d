using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace MiAudit.Cli;

/// <summary>
/// Every bad argument — unknown command or option, a value of the wrong type, a missing required option or
/// subcommand — is one line on stderr, <c>miaudit: …</c> with the command's help hint, and exit code 2 (docs/cli.md),
/// instead of System.CommandLine's default of the message plus the whole help text and exit code 1.
/// </summary>
public static partial class UsageErrors
{
    /// <summary>The line to print, or null when the arguments parsed (or help was asked for, which is never an error).</summary>
    public static string? Describe(ParseResult parsed)
    {
        if (parsed.Errors.Count == 0 || parsed.Action is System.CommandLine.Help.HelpAction)
        {
            return null;
        }

        var command = CommandPath(parsed.CommandResult);
        return $"miaudit: {OneLine(parsed.Errors[0].Message)} (see 'miaudit{command} --help')";
    }

    private static string CommandPath(CommandResult? result)
    {
        var names = new List<string>();
        for (var current = result; current?.Parent is not null; current = current.Parent as CommandResult)
        {
            names.Insert(0, current.Command.Name);
        }

        return names.Count == 0 ? "" : " " + string.Join(' ', names);
    }

    /// <summary>System.CommandLine lists enum choices on lines of their own, and names .NET types.</summary>
    private static string OneLine(string message)
    {
        var text = Whitespace().Replace(message.Replace(":\n", ": ").Replace("'\n", "', "), " ").Trim();
        return text
            .Replace("as expected type 'System.Int32'", "as a whole number")
            .Replace("as expected type 'System.Int64'", "as a whole number")
            .Replace("as expected type 'System.Double'", "as a number");
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
