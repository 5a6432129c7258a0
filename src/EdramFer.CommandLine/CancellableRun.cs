namespace EdramFer.CommandLine;

/// <summary>
/// Runs a command's body with SIGINT (Ctrl-C), SIGTERM and SIGHUP wired to cancellation, removed afterwards. Failures
/// propagate to the one error-to-exit-code mapping (<see cref="CliErrors"/>, installed by <see cref="ToolApp"/>).
/// </summary>
public static class CancellableRun
{
    /// <summary>Exit code of a run stopped by a signal (state saved where the command has state).</summary>
    public const int Interrupted = 2;

    public static int Execute(CancellationToken cancellation, Func<SignalCancellation, int> run)
    {
        using var signals = new SignalCancellation(cancellation);
        return run(signals);
    }

    /// <summary>" by SIGTERM" (etc.) when a signal stopped the run, else "".</summary>
    public static string By(SignalCancellation signals) => signals.Received is { } s ? $" by {s}" : "";
}
