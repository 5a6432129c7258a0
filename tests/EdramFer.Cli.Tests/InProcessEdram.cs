using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Testing;

namespace EdramFer.Cli.Tests;

/// <summary>
/// Runs <c>edram</c> in the test process with Spectre.Console.Cli's <see cref="CommandAppTester"/>: the same
/// configuration as the tool (<see cref="EdramApp.Configure"/>), a test console injected into the commands, the exit
/// code from the one error mapping. Relative paths resolve against <c>workingDirectory</c>, which is process-wide, so
/// runs are serialised.
/// </summary>
internal static class InProcessEdram
{
    private static readonly Lock WorkingDirectoryLock = new();

    public static (int Code, string Output) Run(string? workingDirectory, params string[] args) =>
        Run(workingDirectory, (config, console) => EdramApp.Configure(config, console, args), args);

    /// <summary>The same for <c>edram-train</c> (<see cref="Training.Cli.TrainApp"/>).</summary>
    public static (int Code, string Output) RunTrain(string? workingDirectory, params string[] args) =>
        Run(workingDirectory, (config, console) => Training.Cli.TrainApp.Configure(config, console, args), args);

    private static (int Code, string Output) Run(string? workingDirectory, Action<IConfigurator, IAnsiConsole> configure, string[] args)
    {
        lock (WorkingDirectoryLock)
        {
            var previous = Environment.CurrentDirectory;
            if (workingDirectory is not null) Environment.CurrentDirectory = workingDirectory;
            try
            {
                var app = new CommandAppTester();
                app.Console.Profile.Width = 200; // as the process tests' COLUMNS: tables and messages unwrapped
                app.Configure(config => configure(config, app.Console));
                var result = app.Run(args);
                return (result.ExitCode, result.Output);
            }
            finally
            {
                Environment.CurrentDirectory = previous;
            }
        }
    }
}
