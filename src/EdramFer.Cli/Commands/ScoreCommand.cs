using System.ComponentModel;
using System.Globalization;
using EdramFer.Cli.Scoring;
using EdramFer.ML;
using EdramFer.Vision;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram score</c>: scores every image of a CSV through <see cref="CsvScoringRun"/> (chunks, atomic output,
/// <c>--resume</c> byte-identical to an uninterrupted run). Every input row gives one output row, in order, with its
/// own columns. Exit codes: 0 done, 1 the run failed, 2 interrupted (partial kept; rerun with --resume).
/// </summary>
public sealed class ScoreCommand(IAnsiConsole console) : Command<ScoreCommand.Settings>
{
    public sealed class Settings : ModelRunSettings
    {
        [CommandOption("--output <CSV>"), Description("Predictions CSV (written atomically)")]
        public string Output { get; init; } = "";
        [CommandOption("--resume"), Description("Continue from <output>.partial after an interrupted run")]
        public bool Resume { get; init; }
        [CommandOption("--stop-after-chunks <N>", IsHidden = true), Description("Testing: stop (exit 2) after N chunks, as if interrupted")]
        public int StopAfterChunks { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the predictions CSV)");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CancellableRun.Execute(cancellation, signals => Run(s, console, signals));

    private static int Run(Settings s, IAnsiConsole console, SignalCancellation signals)
    {
        using var guard = OutputGuard.Acquire(s.Input, s.Output, "--output");
        using var scorer = s.OpenScorer();
        var columns = new ScoreColumns(scorer.Labels, s.ImageColumn);
        var run = new CsvScoringRun(new CsvScoringRun.Options(s.Input, s.ImageColumn, s.ChunkSize, "scoring", s.Output, s.Resume,
            $"{s.ModelIdentity()}|{s.OptionsIdentity()}", s.StopAfterChunks));
        console.MarkupLine($"Scoring {Path.GetFileName(s.Input).EscapeMarkup()} on {scorer.Device.EscapeMarkup()}");
        long failed = 0, noFace = 0;
        var result = run.Run(console, signals.Token, rows =>
        {
            var scores = scorer.Score(rows.Select(r => r.ResolvedPath).ToList());
            var records = rows.Select((row, k) => columns.Record(row, scores[k])).ToList();
            failed += records.Count(r => r[columns.StatusIndex] == RowStatus.Error);
            noFace += records.Count(r => r[columns.StatusIndex] == RowStatus.NoFace);
            return records;
        }, columns.Header);
        if (result.Interrupted)
        {
            console.MarkupLine($"[yellow]Interrupted{CancellableRun.By(signals)} after {result.Rows:N0} of {result.Total:N0} rows; " +
                               $"{Path.GetFileName(s.Output).EscapeMarkup()}.partial kept. Run again with --resume.[/]");
            return CancellableRun.Interrupted;
        }
        console.MarkupLine($"Wrote {result.Rows:N0} rows to {Path.GetFullPath(s.Output).EscapeMarkup()} ({failed:N0} with errors, {noFace:N0} without a face in this run) in {result.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
