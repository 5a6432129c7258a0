using System.Reflection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.CommandLine;

/// <summary>
/// What both tools (<c>edram</c>, <c>edram-train</c>) configure alike: the name in help and messages, strict option
/// parsing and the one error-to-exit-code mapping (<see cref="CliErrors"/>). <paramref name="Commands"/> is the
/// assembly whose <c>&lt;Name&gt;Command</c> classes the "did you mean" hints search.
/// </summary>
public sealed record ToolApp(string Name, Assembly Commands)
{
    /// <summary>Commands of the other tool (name → tool), named in the error for an unknown command.</summary>
    public IReadOnlyDictionary<string, string> OtherToolCommands { get; init; } = new Dictionary<string, string>();

    /// <summary>"'train' is a command of edram-train: …" when <paramref name="args"/>[0] belongs to the other tool.</summary>
    public string? OtherToolHint(string[] args) =>
        args.Length > 0 && OtherToolCommands.TryGetValue(args[0], out var tool)
            ? $"'{args[0]}' is a command of {tool}: {tool} {args[0]} --help"
            : null;

    /// <summary>
    /// Applies the shared configuration. <paramref name="console"/> receives argument errors, which Spectre reports
    /// before it has built the commands; commands get their console injected.
    /// </summary>
    public void Configure(IConfigurator config, IAnsiConsole console, string[] args)
    {
        config.SetApplicationName(Name);
        // A mistyped option must not silently fall back to a default: unknown options are errors.
        config.UseStrictParsing();
        config.SetExceptionHandler((e, resolver) => CliErrors.Handle(resolver?.Resolve(typeof(IAnsiConsole)) as IAnsiConsole ?? console, e, args, this));
    }
}
