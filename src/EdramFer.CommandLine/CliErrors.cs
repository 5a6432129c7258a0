using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.CommandLine;

/// <summary>
/// The one mapping from errors to exit codes: every failure of a command or of its arguments is exit 1 with a message
/// that names what failed (2, interrupted, is returned by the commands themselves). ML.NET wraps the errors of its
/// worker threads; the innermost one is the reason, so that is the one reported.
/// </summary>
public static class CliErrors
{
    /// <summary>Exit code of a failed run.</summary>
    public const int Failed = 1;

    /// <summary>Prints "<paramref name="command"/> failed: reason" and returns <see cref="Failed"/>.</summary>
    public static int Report(IAnsiConsole console, string command, Exception e)
    {
        var reason = Reason(e);
        var known = reason is IOException or InvalidDataException or ArgumentException or InvalidOperationException or UnauthorizedAccessException
            or FormatException or NotSupportedException;
        var text = known ? reason.Message : $"unexpected {reason.GetType().Name}: {reason.Message}";
        console.MarkupLine($"[red]{command.EscapeMarkup()} failed:[/] {text.EscapeMarkup()}");
        return Failed;
    }

    /// <summary>For Spectre.Console.Cli's exception handler: argument errors (with a suggestion for unknown options) and anything a command let through.</summary>
    public static int Handle(IAnsiConsole console, Exception e, string[] args, ToolApp tool)
    {
        if (e is CommandParseException or CommandRuntimeException)
        {
            console.MarkupLine($"[red]Error:[/] {e.Message.EscapeMarkup()}");
            if ((tool.OtherToolHint(args) ?? OptionSuggestions.For(e, args, tool)) is { } hint) console.MarkupLine(hint.EscapeMarkup());
            return Failed;
        }
        return Report(console, args.FirstOrDefault() ?? tool.Name, e);
    }

    /// <summary>
    /// The reason behind wrappers: TargetInvocation, Aggregate and ML.NET's "Splitter/consolidator worker encountered
    /// exception" (an InvalidOperationException whose inner exception is the real error).
    /// </summary>
    public static Exception Reason(Exception e)
    {
        while (e.InnerException is { } inner && (e is System.Reflection.TargetInvocationException or AggregateException
                   || e.Message.Contains("worker encountered exception", StringComparison.OrdinalIgnoreCase)))
            e = inner;
        return e;
    }
}
