using EdramFer.CommandLine;
using System.ComponentModel;
using System.Globalization;
using EdramFer.Cli.Scoring;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram score</c>: scores every image of a CSV (or of a folder, or one image file: <see cref="ImageListing"/>) through <see cref="CsvScoringRun"/> (chunks, atomic output,
/// <c>--resume</c> byte-identical to an uninterrupted run). Every input row gives one output row (with <c>--faces all</c>:
/// one per detected face, and one when there is none), in order, with its own columns. Exit codes: 0 done, 1 the run failed, 2 interrupted (partial kept; rerun with --resume).
/// </summary>
public sealed class ScoreCommand(IAnsiConsole console) : Command<ScoreCommand.Settings>
{
    public sealed class Settings : ModelRunSettings
    {
        [CommandOption("--output <CSV>"), Description("Predictions CSV (written atomically)")]
        public string Output { get; init; } = "";
        [CommandOption("--resume"), Description("Continue from <output>.partial after an interrupted run")]
        public bool Resume { get; init; }
        [CommandOption("--faces <WHICH>"), DefaultValue("largest"), Description("largest: one row per input row | all: one row per detected face (face_index 0 = the largest)")]
        public string Faces { get; init; } = "largest";
        [CommandOption("--format <FORMAT>"), Description("csv | jsonl (one JSON object per line); default: jsonl for a .jsonl or .ndjson --output, else csv")]
        public string? Format { get; init; }
        [CommandOption("--landmarks"), Description("Add the five facial points of each face (eye centres, nose tip, mouth corners; from YuNet) as landmark_* columns")]
        public bool Landmarks { get; init; }
        [CommandOption("--max-faces <N>"), DefaultValue(16), Description("With --faces all: at most N faces per image, the largest")]
        public int MaxFaces { get; init; } = 16;
        [CommandOption("--min-confidence <P>"), DefaultValue(0f), Description("A face whose top probability is below P gets status uncertain and no label (scores kept); 0 = always a label")]
        public float MinConfidence { get; init; }
        [CommandOption("--shard <K/N>"), Description("Score only slice K of N (rows K·M/N to (K+1)·M/N, 0 ≤ K < N); edram merge joins the shard outputs")]
        public string? Shard { get; init; }
        [CommandOption("--stop-after-chunks <N>", IsHidden = true), Description("Testing: stop (exit 2) after N chunks, as if interrupted")]
        public int StopAfterChunks { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the predictions CSV)");
            if (Format is not (null or "csv" or "jsonl")) return ValidationResult.Error($"--format must be csv or jsonl, got '{Format}'");
            if (Faces is not ("largest" or "all")) return ValidationResult.Error($"--faces must be largest or all, got '{Faces}'");
            if (MaxFaces < 1) return ValidationResult.Error($"--max-faces must be ≥ 1, got {MaxFaces}");
            if (MinConfidence is < 0 or >= 1) return ValidationResult.Error($"--min-confidence must be in [0, 1), got {MinConfidence}");
            if (Shard is not null)
                try { Scoring.Shard.Parse(Shard); }
                catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            if (Faces == "all" && IsPipeline)
                return ValidationResult.Error("--faces all needs an .onnx model: a saved pipeline scores one face per row");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CancellableRun.Execute(cancellation, signals => Run(s, console, signals));

    private static int Run(Settings s, IAnsiConsole console, SignalCancellation signals)
    {
        using var guard = OutputGuard.Acquire(s.Input, s.Output, "--output");
        using var scorer = s.OpenScorer();
        var (input, imageColumn, listing) = (s.Input, s.ImageColumn, ImageListing.Applies(s.Input));
        if (listing) (input, imageColumn) = (ImageListing.Write(s.Input, s.Output).Csv, "path");
        var columns = new ScoreColumns(scorer.Labels, imageColumn, s.Landmarks, s.MinConfidence);
        var jsonLines = s.Format == "jsonl" || (s.Format is null && Path.GetExtension(s.Output).ToLowerInvariant() is ".jsonl" or ".ndjson");
        var run = new CsvScoringRun(new CsvScoringRun.Options(input, imageColumn, s.ChunkSize, "scoring", s.Output, s.Resume,
            $"{s.ModelIdentity()}|{s.OptionsIdentity()}|{s.Faces}|{s.MaxFaces}|{jsonLines}|{s.Landmarks}|{s.MinConfidence}", s.StopAfterChunks, jsonLines ? columns.IsNumeric : null,
            listing ? ImageListing.PathBase : null, s.Shard is null ? null : Shard.Parse(s.Shard)));
        console.MarkupLine($"Scoring {Path.GetFileName(Path.TrimEndingDirectorySeparator(s.Input)).EscapeMarkup()} on {scorer.Device.EscapeMarkup()}");
        long failed = 0, noFace = 0, uncertain = 0, written = 0;
        var result = run.Run(console, signals.Token, rows =>
        {
            var paths = rows.Select(r => r.ResolvedPath).ToList();
            var faces = s.Faces == "all" ? ((OnnxImageScorer)scorer).ScoreFaces(paths, s.MaxFaces) : scorer.Score(paths).Select(r => new[] { r }).ToList();
            var records = rows.SelectMany((row, k) => faces[k].Select(face => columns.Record(row, face))).ToList();
            failed += records.Count(r => r[columns.StatusIndex] == RowStatus.Error);
            noFace += records.Count(r => r[columns.StatusIndex] == RowStatus.NoFace);
            uncertain += records.Count(r => r[columns.StatusIndex] == RowStatus.Uncertain);
            written += records.Count;
            return records;
        }, columns.Header);
        if (result.Interrupted)
        {
            console.MarkupLine($"[yellow]Interrupted{CancellableRun.By(signals)} after {result.Rows:N0} of {result.Total:N0} rows; " +
                               $"{Path.GetFileName(s.Output).EscapeMarkup()}.partial kept. Run again with --resume.[/]");
            return CancellableRun.Interrupted;
        }
        if (listing) File.Delete(ImageListing.PathFor(s.Output));
        var faces = s.Faces == "all" ? $"{written:N0} face rows of " : "";
        console.MarkupLine($"Wrote {faces}{result.Rows:N0} rows to {Path.GetFullPath(s.Output).EscapeMarkup()} ({failed:N0} with errors, {noFace:N0} without a face{(s.MinConfidence > 0 ? $", {uncertain:N0} uncertain" : "")} in this run) in {result.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
