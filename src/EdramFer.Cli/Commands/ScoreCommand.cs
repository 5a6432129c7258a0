using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CsvHelper;
using EdramFer.Cli.Scoring;
using EdramFer.ML;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram score</c>: scores every image of a CSV in constant memory (chunks), writing
/// <c>&lt;output&gt;.partial</c> flushed per chunk plus a progress file, renamed to the output at the end.
/// <c>--resume</c> truncates the partial file to its last recorded chunk and continues, so the result is byte-identical
/// to an uninterrupted run. Exit codes: 0 done, 1 the run failed, 2 interrupted (partial kept; rerun with --resume).
/// </summary>
public sealed class ScoreCommand : Command<ScoreCommand.Settings>
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

    /// <summary>Rows already in the partial file and its length then; written after every flushed chunk.</summary>
    private sealed record Progress(string Input, long InputLength, long InputTicks, string Model, string Options, long Rows, long Bytes);

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CancellableRun.Execute("score", cancellation, (console, token) => Run(s, console, token));

    private static int Run(Settings s, IAnsiConsole console, CancellationToken cancel)
    {
        var input = Path.GetFullPath(s.Input);
        var output = Path.GetFullPath(s.Output);
        var partial = output + ".partial";
        var progressPath = output + ".partial.json";
        using var scorer = s.OpenScorer();
        var labels = scorer.Labels;
        var total = CsvInput.CountRows(input);
        var info = new FileInfo(input);
        var identity = new Progress(input, info.Length, info.LastWriteTimeUtc.Ticks, s.ModelIdentity(), s.OptionsIdentity(), 0, 0);

        long skip = 0;
        if (s.Resume && File.Exists(partial) && File.Exists(progressPath))
        {
            var saved = JsonSerializer.Deserialize<Progress>(File.ReadAllText(progressPath))!;
            if (saved with { Rows = 0, Bytes = 0 } != identity)
                throw new InvalidOperationException($"--resume: {progressPath} belongs to another input, model or options; delete it or run without --resume");
            using (var f = new FileStream(partial, FileMode.Open, FileAccess.Write)) f.SetLength(saved.Bytes); // drop a torn last chunk
            skip = saved.Rows;
        }
        else if (s.Resume)
            console.MarkupLine($"[yellow]--resume: no {Path.GetFileName(partial).EscapeMarkup()} with progress; starting from the first row[/]");

        using var reader = new CsvInput(input, s.ImageColumn);
        var extras = reader.Header.Where(h => h != s.ImageColumn).ToList();
        var fixedColumns = new List<string> { "path", "label" };
        fixedColumns.AddRange(labels.Select(l => "score_" + l));
        fixedColumns.AddRange(["valence", "arousal", "face_found", "error"]);
        var extraNames = extras.Select(e => fixedColumns.Contains(e) ? "input_" + e : e).ToList();

        using var stream = new FileStream(partial, skip > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
        using var csv = CsvWriter.Create(text, null, leaveOpen: true);
        if (skip == 0)
        {
            foreach (var h in fixedColumns.Concat(extraNames)) csv.WriteField(h);
            csv.EndRecord();
        }
        var done = skip;
        for (var i = 0L; i < skip && reader.Next() is not null; i++) { } // rows scored before the interruption

        var chunkSize = Math.Max(1, s.BatchSize) * 8;
        var chunks = 0;
        var failed = 0L;
        var interrupted = false;
        var watch = Stopwatch.StartNew();
        console.MarkupLine($"Scoring {total:N0} rows of {Path.GetFileName(input).EscapeMarkup()} on {scorer.Device.EscapeMarkup()}{(skip > 0 ? $", resuming after row {skip:N0}" : "")}");
        console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("scoring", maxValue: Math.Max(1, total));
                task.Value = done;
                var rows = new List<CsvInput.Row>(chunkSize);
                while (true)
                {
                    rows.Clear();
                    while (rows.Count < chunkSize && reader.Next() is { } row) rows.Add(row);
                    if (rows.Count == 0) break;
                    var scores = scorer.Score(rows.Select(r => r.ResolvedPath).ToList());
                    for (var k = 0; k < rows.Count; k++)
                    {
                        var r = scores[k];
                        var error = rows[k].PathError ?? r.Error;
                        if (error.Length > 0) failed++;
                        csv.WriteField(rows[k].Path);
                        csv.WriteField(r.Label);
                        foreach (var p in r.Probabilities) csv.WriteField(Number(p));
                        csv.WriteField(Number(r.Valence));
                        csv.WriteField(Number(r.Arousal));
                        csv.WriteField(r.FaceFound ? "true" : "false");
                        csv.WriteField(error);
                        foreach (var e in extras) csv.WriteField(rows[k].Fields.GetValueOrDefault(e, ""));
                        csv.EndRecord();
                    }
                    csv.Flush();
                    text.Flush();
                    stream.Flush(flushToDisk: true);
                    done += rows.Count;
                    WriteAtomically(progressPath, JsonSerializer.Serialize(identity with { Rows = done, Bytes = stream.Length }));
                    task.Value = done;
                    var rate = (done - skip) / Math.Max(1e-3, watch.Elapsed.TotalSeconds);
                    task.Description = $"scoring {done:N0}/{total:N0} ({rate:F1} images/s)";
                    chunks++;
                    if (cancel.IsCancellationRequested || (s.StopAfterChunks > 0 && chunks >= s.StopAfterChunks))
                    {
                        interrupted = true;
                        break;
                    }
                }
            });
        csv.Dispose();
        text.Dispose(); // flushes and closes the partial file before it is renamed
        if (interrupted)
        {
            console.MarkupLine($"[yellow]Interrupted after {done:N0} rows; {Path.GetFileName(partial).EscapeMarkup()} kept. Run again with --resume.[/]");
            return 2;
        }
        File.Move(partial, output, overwrite: true);
        File.Delete(progressPath);
        console.MarkupLine($"Wrote {done:N0} rows to {output.EscapeMarkup()} ({failed:N0} with errors) in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>Round-trip invariant float; empty for NaN (a row that was not scored).</summary>
    private static string Number(float v) => float.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    private static void WriteAtomically(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
