using System.ComponentModel;
using EdramFer.Cli.Scoring;
using EdramFer.CommandLine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram merge</c>: joins the outputs of <c>edram score --shard K/N</c> into the output of one run over every row
/// (<see cref="ShardMerge"/>). Exit codes: 0 merged, 1 refused (the message names the shard).
/// </summary>
public sealed class MergeCommand(IAnsiConsole console) : Command<MergeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<SHARDS>"), Description("The shard outputs (any order); each beside its .shard.json")]
        public string[] Shards { get; init; } = [];
        [CommandOption("--output <FILE>"), Description("The merged output (written atomically)")]
        public string Output { get; init; } = "";

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the merged file)");
            if (Shards.Any(p => Path.GetFullPath(p) == Path.GetFullPath(Output)))
                return ValidationResult.Error($"--output '{Output}' is one of the shards");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        var shards = ShardMerge.Run(s.Shards, s.Output);
        var rows = shards[0].Record.InputRows;
        console.MarkupLine($"Merged {shards.Count} shards ({rows:N0} input rows) into {Path.GetFullPath(s.Output).EscapeMarkup()}");
        return 0;
    }
}
