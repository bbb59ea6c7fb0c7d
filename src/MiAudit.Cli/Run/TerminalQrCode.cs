using System.Text;
using QRCoder;

namespace MiAudit.Cli.Run;

/// <summary>
/// A QR code for a terminal, two modules per character cell with half blocks. Dark and light are explicit colours
/// (black on bright white), never the terminal's own: on a dark theme an uncoloured code comes out inverted, and
/// phone cameras do not read an inverted code.
/// </summary>
internal static class TerminalQrCode
{
    private const string Colours = "\u001b[30;107m";
    private const string Reset = "\u001b[0m";

    public static IEnumerable<string> Render(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var modules = data.ModuleMatrix; // includes the 4-module quiet zone
        var line = new StringBuilder();
        for (var row = 0; row < modules.Count; row += 2)
        {
            line.Clear().Append("  ").Append(Colours);
            for (var column = 0; column < modules[row].Length; column++)
            {
                var top = modules[row][column];
                var bottom = row + 1 < modules.Count && modules[row + 1][column];
                line.Append((top, bottom) switch
                {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    _ => ' ',
                });
            }

            yield return line.Append(Reset).ToString();
        }
    }
}
