using System.Runtime.InteropServices;

namespace EdramFer.CommandLine;

/// <summary>
/// Turns SIGINT (Ctrl-C), SIGTERM and SIGHUP into a cancellation that a run checks between chunks, so it saves its
/// state and exits 2. A second signal of the same run is not intercepted: it ends the process the default way.
/// Disposing removes the handlers (nothing stays registered after the run).
/// </summary>
public sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly List<PosixSignalRegistration> _registrations = [];

    public SignalCancellation(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // SIGHUP and SIGTERM do not exist on Windows; Ctrl-C still does.
            }
        }
    }

    /// <summary>Cancelled by the first signal (or the outer token).</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>The signal that cancelled the run, e.g. "SIGTERM"; null when none arrived.</summary>
    public string? Received { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        if (Received is not null) return; // second signal: let it terminate the process
        Received = context.Signal.ToString();
        context.Cancel = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
