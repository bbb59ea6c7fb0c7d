using System.Diagnostics;

namespace MiAudit.Testing;

/// <summary>
/// A network namespace a test creates for itself (root only): just its own loopback interface, with extra addresses
/// added on it, and no route out — checked before anything is sent into it. Removed on dispose.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private readonly List<Process> _processes = [];

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>The launcher words that run a command inside: <c>ip netns exec NAME</c>.</summary>
    public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Name];

    public static NetworkNamespace Create(string prefix)
    {
        var space = new NetworkNamespace($"{prefix}-{Environment.ProcessId}-{Random.Shared.Next(100_000)}");
        Host("ip", "netns", "add", space.Name);
        space.Run("ip", "link", "set", "lo", "up");
        var routes = space.Run("ip", "-4", "route", "show") + space.Run("ip", "-6", "route", "show");
        if (routes.Contains("default", StringComparison.Ordinal) || space.Run("ip", "link", "show").Split('\n').Count(l => l.Contains(": <", StringComparison.Ordinal)) != 1)
        {
            space.Dispose();
            throw new InvalidOperationException($"namespace {space.Name} is not isolated:\n{routes}");
        }

        return space;
    }

    /// <summary>Adds an address (use documentation ranges such as 192.0.2.0/24) to the namespace's loopback.</summary>
    public void AddAddress(string address) => Run("ip", "addr", "add", address, "dev", "lo");

    /// <summary>
    /// Gives the namespace a non-loopback interface, as a laptop's Wi-Fi is: one end of a veth pair whose other end is
    /// also inside, so it is up and leads nowhere. The isolation check runs again afterwards.
    /// </summary>
    public void AddInterface(string name, string address)
    {
        Run("ip", "link", "add", name, "type", "veth", "peer", "name", name + "p");
        Run("ip", "addr", "add", address, "dev", name);
        Run("ip", "link", "set", name, "up");
        Run("ip", "link", "set", name + "p", "up");
        if (Run("ip", "-4", "route", "show").Contains("default", StringComparison.Ordinal) || !Run("ip", "-br", "link", "show", name).Contains("UP", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"namespace {Name}: interface {name} is not up, or there is a way out");
        }
    }

    /// <summary>Runs a command inside to completion; returns its output.</summary>
    public string Run(params string[] command) => Host([.. Exec, .. command]);

    /// <summary>Starts a long-running command inside (killed on dispose); its output goes to <paramref name="log"/>.</summary>
    public Process Start(string log, params string[] command)
    {
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec {string.Join(' ', Exec.Concat(command).Select(Quote))} >{Quote(log)} 2>&1");
        var process = Process.Start(info)!;
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            process.Dispose();
        }

        Host("ip", "netns", "del", Name);
    }

    private static string Host(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in command.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\"'\"'") + "'";
}
