using Spectre.Console;

namespace EdramFer.Cli.Commands;

/// <summary>
/// Runs a command's body with SIGINT (Ctrl-C), SIGTERM and SIGHUP wired to cancellation (removed afterwards) and
/// every failure turned into exit code 1 through <see cref="CliErrors"/>.
/// </summary>
internal static class CancellableRun
{
    /// <summary>Exit code of a run stopped by a signal (state saved where the command has state).</summary>
    public const int Interrupted = 2;

    public static int Execute(string command, CancellationToken cancellation, Func<IAnsiConsole, SignalCancellation, int> run)
    {
        var console = AnsiConsole.Console;
        using var signals = new SignalCancellation(cancellation);
        try
        {
            return run(console, signals);
        }
        catch (Exception e) when (CliErrors.IsReportable(e))
        {
            return CliErrors.Report(console, command, e);
        }
    }

    /// <summary>" by SIGTERM" (etc.) when a signal stopped the run, else "".</summary>
    public static string By(SignalCancellation signals) => signals.Received is { } s ? $" by {s}" : "";
}
