using Spectre.Console;

namespace MiAudit.Cli;

/// <summary>Tables for people: sized to the terminal, and not wrapped when the output goes to a file or a pipe.</summary>
internal static class TableOutput
{
    public static void Write(Table table)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Console.Profile.Width = 1000;
        }

        AnsiConsole.Write(table);
    }
}
