using Spectre.Console;

namespace EdramFer.Cli.Commands;

/// <summary>Runs a command's body with Ctrl-C wired to cancellation and its expected failures turned into exit code 1.</summary>
internal static class CancellableRun
{
    public static int Execute(string command, CancellationToken cancellation, Func<IAnsiConsole, CancellationToken, int> run)
    {
        var console = AnsiConsole.Console;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return run(console, cts.Token);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            console.MarkupLine($"[red]{command} failed:[/] {e.Message.EscapeMarkup()}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
