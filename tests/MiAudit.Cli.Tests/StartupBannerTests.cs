using System.Text.RegularExpressions;
using MiAudit.Testing;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace MiAudit.Cli.Tests;

/// <summary>
/// The banner a researcher sees when the proxy listens for a phone: the real miaudit in a network namespace with a
/// Wi-Fi-like interface (no route out), its QR code read back the way a terminal shows it on a dark and on a light
/// theme, and the address the code holds opened from inside the namespace.
/// </summary>
public sealed partial class StartupBannerTests : IDisposable
{
    private const string LaptopAddress = "10.213.7.1";
    private const int ProxyPort = 18091;

    private readonly TemporaryDirectory _dir = new("miaudit-banner");
    private readonly NetworkNamespace _space = NetworkNamespace.Create("miaudit-banner");

    public void Dispose()
    {
        _space.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_qr_code_holds_the_certificate_page_url_and_reads_on_dark_and_light_terminals()
    {
        _space.AddInterface("wlan0", $"{LaptopAddress}/24");
        var page = $"http://{LaptopAddress}:{ProxyPort}/";

        await using var proxy = MiAuditProcess.Start(_dir.Path, ["run", "--listen", $"0.0.0.0:{ProxyPort}"], launcher: _space.Exec);
        await proxy.WaitForListeningAsync();
        await proxy.WaitForOutputAsync($"Scan to open {page}");

        Assert.Contains($"Then open {page} on the phone", proxy.Output);
        Assert.Equal(page, Decode(proxy.Output, TerminalTheme.Dark));
        Assert.Equal(page, Decode(proxy.Output, TerminalTheme.Light));
        var certificatePage = _space.Run("curl", "-s", "--max-time", "10", page);
        Assert.Contains("miaudit-ca.crt", certificatePage);
    }

    private enum TerminalTheme { Dark, Light }

    /// <summary>Draws the banner's QR lines as a terminal would (SGR colours, else the theme's own) and decodes them.</summary>
    private static string Decode(string output, TerminalTheme theme)
    {
        var lines = output.Split('\n').Where(l => l.Contains('▀') || l.Contains('▄')).ToList();
        Assert.NotEmpty(lines);
        var cells = lines.Select(l => Cells(l, theme)).ToList();
        const int scale = 4;
        var width = cells.Max(c => c.Count);
        var height = cells.Count * 2;
        var pixels = new byte[width * scale * height * scale];
        for (var row = 0; row < height; row++)
        {
            for (var column = 0; column < width; column++)
            {
                var cell = column < cells[row / 2].Count ? cells[row / 2][column] : (Top: false, Bottom: false);
                var dark = row % 2 == 0 ? cell.Top : cell.Bottom;
                for (var y = 0; y < scale; y++)
                {
                    for (var x = 0; x < scale; x++)
                    {
                        pixels[((row * scale) + y) * width * scale + (column * scale) + x] = dark ? (byte)0 : (byte)255;
                    }
                }
            }
        }

        var source = new RGBLuminanceSource(pixels, width * scale, height * scale, RGBLuminanceSource.BitmapFormat.Gray8);
        var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)));
        Assert.True(result is not null, $"the QR code does not read on a {theme} terminal");
        return result.Text;
    }

    /// <summary>Each character cell: whether its top and bottom halves are dark.</summary>
    private static List<(bool Top, bool Bottom)> Cells(string line, TerminalTheme theme)
    {
        bool? foreground = null, background = null; // null: the theme's default; true: a dark colour
        var defaultForeground = theme == TerminalTheme.Light;
        var defaultBackground = theme == TerminalTheme.Dark;
        var cells = new List<(bool, bool)>();
        var leading = true;
        foreach (Match token in Token().Matches(line))
        {
            if (token.Groups["sgr"].Success)
            {
                foreach (var code in token.Groups["sgr"].Value.Split(';').Where(c => c.Length > 0).Select(int.Parse).DefaultIfEmpty(0))
                {
                    (foreground, background) = code switch
                    {
                        0 => (null, null),
                        30 or 90 => (true, background),
                        >= 31 and <= 37 or >= 91 and <= 97 => (false, background),
                        39 => (null, background),
                        40 or 100 => (foreground, true),
                        >= 41 and <= 47 or >= 101 and <= 107 => (foreground, false),
                        49 => (foreground, null),
                        _ => (foreground, background),
                    };
                }

                continue;
            }

            var character = token.Value[0];
            if (leading && character == ' ' && foreground is null && background is null)
            {
                continue; // indentation before the code
            }

            leading = false;
            var fg = foreground ?? defaultForeground;
            var bg = background ?? defaultBackground;
            cells.Add(character switch
            {
                '█' => (fg, fg),
                '▀' => (fg, bg),
                '▄' => (bg, fg),
                _ => (bg, bg),
            });
        }

        return cells;
    }

    [GeneratedRegex(@"\u001b\[(?<sgr>[0-9;]*)m|[^\r\u001b]")]
    private static partial Regex Token();
}
