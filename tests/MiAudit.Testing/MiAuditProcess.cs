using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace MiAudit.Testing;

/// <summary>The real <c>miaudit</c> binary as a child process: output captured, memory readable, signals sendable.</summary>
public sealed partial class MiAuditProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MiAuditProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything written to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="launcher">A command that runs miaudit for us, e.g. <c>ip netns exec NAME</c> (it must exec, so signals reach miaudit).</param>
    /// <param name="executable">An installed <c>miaudit</c> to run instead of the built <c>miaudit.dll</c>.</param>
    public static MiAuditProcess Start(string workingDirectory, IEnumerable<string> arguments, IDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null, string? executable = null)
    {
        var info = CreateStartInfo(workingDirectory, arguments, environment, launcher, executable);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new MiAuditProcess(process);
        process.OutputDataReceived += (_, e) => wrapper.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.OnLine(e.Data);
        process.Exited += (_, _) => wrapper._listening.TrySetException(new InvalidOperationException($"miaudit exited ({process.ExitCode}):\n{wrapper.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Runs a command to completion (e.g. <c>ca show</c>).</summary>
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string workingDirectory, params string[] arguments) =>
        RunAsync(workingDirectory, null, arguments);

    /// <summary>Runs a command to completion with extra environment variables (e.g. <c>MIAUDIT_DB</c>).</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string workingDirectory, IDictionary<string, string>? environment, params string[] arguments)
    {
        using var process = Process.Start(CreateStartInfo(workingDirectory, arguments, environment, null))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The address from the "Listening on" log line.</summary>
    public async Task<IPEndPoint> WaitForListeningAsync(TimeSpan? timeout = null)
    {
        try
        {
            return await _listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"miaudit did not report listening:\n{Output}");
        }
    }

    /// <summary>Waits until the process has written the text (a log line saying something took effect).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"miaudit never wrote \"{text}\":\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Resident memory now, from /proc.</summary>
    public long ResidentBytes => ReadStatus("VmRSS");

    /// <summary>Peak resident memory since start, from /proc.</summary>
    public long PeakResidentBytes => ReadStatus("VmHWM");

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigInt = 2;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            Signal(SigTerm);
        }

        return await WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(15));
            }
            catch (Exception)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private static ProcessStartInfo CreateStartInfo(string workingDirectory, IEnumerable<string> arguments, IDictionary<string, string>? environment,
        IReadOnlyList<string>? launcher, string? executable = null)
    {
        var program = executable ?? "dotnet";
        var info = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in launcher?.Skip(1).Append(program) ?? [])
        {
            info.ArgumentList.Add(word);
        }

        if (executable is null)
        {
            info.ArgumentList.Add(RepositoryPaths.MiAuditDll);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (match.Success && IPEndPoint.TryParse(match.Groups[1].Value, out var endPoint))
        {
            _listening.TrySetResult(endPoint);
        }
    }

    private long ReadStatus(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kilobytes = long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return kilobytes * 1024;
            }
        }

        throw new InvalidOperationException($"{field} not in /proc/{_process.Id}/status");
    }

    [GeneratedRegex(@"Listening on ([0-9.]+:[0-9]+|\[[0-9a-fA-F:]+\]:[0-9]+)")]
    private static partial Regex ListeningLine();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
