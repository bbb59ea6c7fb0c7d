using System.Diagnostics;
using System.Net;
using Microsoft.Playwright;
using MiAudit.Testing;

namespace MiAudit.EndToEnd.Tests;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright, with MiAudit as its proxy. It trusts MiAudit's CA through its
/// own NSS database — the way a phone trusts a user CA — not through --ignore-certificate-errors, which would hide
/// certificate bugs. It never resolves names itself and never leaves loopback.
/// </summary>
public sealed class ChromiumBrowser : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly TemporaryDirectory _home;

    private ChromiumBrowser(IPlaywright playwright, IBrowser browser, TemporaryDirectory home)
    {
        _playwright = playwright;
        Browser = browser;
        _home = home;
    }

    public IBrowser Browser { get; }

    /// <summary>Launches Chromium; with no proxy (to open a saved report) every name still resolves to nothing.</summary>
    public static async Task<ChromiumBrowser> LaunchAsync(IPEndPoint? proxy, string? caPemFile)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run tests/install-prerequisites.sh (Debian packages chromium, libnss3-tools)");
        }

        var home = new TemporaryDirectory("miaudit-chromium-home");
        var nssdb = Path.Combine(home.Path, ".pki", "nssdb");
        Directory.CreateDirectory(nssdb);
        await RunAsync("certutil", "-N", "-d", $"sql:{nssdb}", "--empty-password");
        if (caPemFile is not null)
        {
            await RunAsync("certutil", "-A", "-d", $"sql:{nssdb}", "-t", "C,,", "-n", "MiAudit test CA", "-i", caPemFile);
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Proxy = proxy is null ? null : new Microsoft.Playwright.Proxy { Server = $"http://{proxy}" },
            Env = new Dictionary<string, string> { ["HOME"] = home.Path },
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--proxy-bypass-list=<-loopback>",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        });
        return new ChromiumBrowser(playwright, browser, home);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {error}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        _playwright.Dispose();
        _home.Dispose();
    }
}
