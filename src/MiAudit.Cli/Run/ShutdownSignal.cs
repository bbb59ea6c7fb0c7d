using System.Runtime.InteropServices;

namespace MiAudit.Cli.Run;

/// <summary>
/// The first SIGINT/SIGTERM asks for a graceful stop (drain exchanges, flush the store);
/// a second one ends the process at once.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly TaskCompletionSource<string> _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Completes with the signal's name when the first stop signal arrives.</summary>
    public Task<string> Requested => _requested.Task;

    private void OnSignal(PosixSignalContext context)
    {
        // The first signal is ours to handle; on the second, the default action (terminate) goes ahead.
        context.Cancel = _requested.TrySetResult(context.Signal.ToString());
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
