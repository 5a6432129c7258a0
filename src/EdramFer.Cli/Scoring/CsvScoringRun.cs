using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Spectre.Console;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// The one loop of <c>score</c>, <c>evaluate</c> and <c>heatmap</c>: reads the input CSV in chunks (constant memory),
/// hands each chunk to the command, shows progress and stops between chunks when cancelled. With an output file it
/// writes <c>&lt;output&gt;.partial</c>, flushed per chunk, and a progress file naming the rows done and a SHA-256 of
/// the input bytes they came from; at the end the partial file is renamed to the output (atomic). <c>--resume</c>
/// truncates the partial file to its last recorded chunk and continues, so the result is byte-identical to an
/// uninterrupted run.
/// </summary>
internal sealed class CsvScoringRun(CsvScoringRun.Options options)
{
    /// <summary>What to read and where to write.</summary>
    /// <param name="Input">the CSV</param>
    /// <param name="ImageColumn">its image-path column</param>
    /// <param name="ChunkSize">rows per chunk (and per progress checkpoint)</param>
    /// <param name="Verb">progress label, e.g. "scoring"</param>
    /// <param name="Output">the output CSV, or null for a run that keeps its results in memory</param>
    /// <param name="Resume">continue an interrupted run from its partial file</param>
    /// <param name="Identity">model and options a resumed run must share with the interrupted one</param>
    /// <param name="StopAfterChunks">testing: stop as if interrupted after this many chunks (0 = never)</param>
    /// <param name="NumericColumn">with it, the output is JSON Lines (one object per record, these columns as numbers) instead of CSV</param>
    /// <param name="PathBase">where relative image paths resolve; null: the CSV's folder</param>
    /// <param name="Shard">only this slice of the rows, its output marked for <see cref="ShardMerge"/>; null: every row</param>
    public sealed record Options(string Input, string ImageColumn, int ChunkSize, string Verb, string? Output = null, bool Resume = false,
        string Identity = "", int StopAfterChunks = 0, Func<int, bool>? NumericColumn = null, string? PathBase = null, Shard? Shard = null);

    /// <summary>How the run ended.</summary>
    /// <param name="Rows">rows handled, those of an earlier interrupted run included</param>
    /// <param name="Total">rows in the input (in the shard's slice with --shard)</param>
    /// <param name="Interrupted">stopped early (state kept when there is an output file)</param>
    /// <param name="Elapsed">time of this run</param>
    public sealed record Result(long Rows, long Total, bool Interrupted, TimeSpan Elapsed);

    /// <summary>Rows already in the partial file, its length then, and the input bytes those rows came from.</summary>
    private sealed record Progress(string Input, string Identity, long Rows, long Bytes, long InputBytes, string InputSha256);

    /// <summary>
    /// Runs over every row. <paramref name="handle"/> gets each chunk in input order and, when the run writes an
    /// output file, returns one output record per row (columns as <paramref name="outputHeader"/> gave them).
    /// </summary>
    public Result Run(IAnsiConsole console, CancellationToken cancel, Func<IReadOnlyList<CsvInput.Row>, IReadOnlyList<IReadOnlyList<string>>> handle,
        Func<IReadOnlyList<string>, IReadOnlyList<string>>? outputHeader = null)
    {
        var input = Path.GetFullPath(options.Input);
        var inputRows = CsvInput.CountRows(input, options.ImageColumn); // also refuses a malformed file before any row is scored
        using var reader = new CsvInput(input, options.ImageColumn, w => console.MarkupLine($"[yellow]warning:[/] {w.EscapeMarkup()}"), options.PathBase);
        var (from, to) = options.Shard?.Rows(inputRows) ?? (0, inputRows);
        for (var i = 0L; i < from; i++) reader.Next(); // the rows of the shards before this one
        var total = to - from;
        if (options.Output is null) return Loop(console, cancel, reader, total, 0, handle, (_, _) => { });

        var output = Path.GetFullPath(options.Output);
        var partial = output + ".partial";
        var progressPath = output + ".partial.json";
        var resumed = Resume(console, reader, input, partial, progressPath);
        using var fingerprint = new InputFingerprint(input);
        using var stream = new FileStream(partial, resumed is null ? FileMode.Create : FileMode.Open, FileAccess.Write, FileShare.Read);
        if (resumed is not null) stream.SetLength(resumed.Bytes); // drops a torn last chunk
        stream.Seek(0, SeekOrigin.End);
        using var text = new StreamWriter(stream, new UTF8Encoding(false));
        using var csv = CsvWriter.Create(text, null, leaveOpen: true);
        var header = outputHeader?.Invoke(reader.Header).ToArray() ?? []; // asked on resume too: the command learns its columns
        var jsonLines = options.NumericColumn;
        if (resumed is null && jsonLines is null) csv.WriteRecord(header);
        var result = Loop(console, cancel, reader, total, resumed?.Rows ?? 0, handle, (records, done) =>
        {
            foreach (var r in records)
            {
                if (jsonLines is null) csv.WriteRecord(r.ToArray());
                else text.Write(JsonLinesRecord.Format(header, r, jsonLines) + "\n");
            }
            csv.Flush();
            text.Flush();
            stream.Flush(flushToDisk: true);
            var hash = fingerprint.Advance(reader.ConsumedBytes);
            WriteAtomically(progressPath, JsonSerializer.Serialize(new Progress(input, ProgressIdentity, done, stream.Length, reader.ConsumedBytes, hash)));
        });
        csv.Dispose();
        text.Dispose(); // flushes and closes the partial file before it is renamed
        if (result.Interrupted) return result;
        File.Move(partial, output, overwrite: true);
        File.Delete(progressPath);
        if (options.Shard is { } shard)
            ShardRecord.Write(output, shard, inputRows, InputFingerprint.Of(input, new FileInfo(input).Length)!, options.Identity,
                jsonLines is null ? HeaderBytes(header) : 0);
        return result;
    }

    /// <summary>Bytes of the header record as the run writes it (what a merge keeps from the first shard only).</summary>
    private static long HeaderBytes(string[] header)
    {
        using var memory = new MemoryStream();
        using (var text = new StreamWriter(memory, new UTF8Encoding(false), leaveOpen: true))
        using (var csv = CsvWriter.Create(text, null, leaveOpen: true))
            csv.WriteRecord(header);
        return memory.Length;
    }

    /// <summary>The identity a resume checks: the model and options, and the shard.</summary>
    private string ProgressIdentity => options.Shard is { } shard ? $"{options.Identity}|shard {shard}" : options.Identity;

    private Result Loop(IAnsiConsole console, CancellationToken cancel, CsvInput reader, long total, long skipped,
        Func<IReadOnlyList<CsvInput.Row>, IReadOnlyList<IReadOnlyList<string>>> handle, Action<IReadOnlyList<IReadOnlyList<string>>, long> checkpoint)
    {
        var chunkSize = Math.Max(1, options.ChunkSize);
        var done = skipped;
        var chunks = 0;
        var interrupted = false;
        var watch = Stopwatch.StartNew();
        console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(options.Verb, maxValue: Math.Max(1, total));
                task.Value = done;
                var rows = new List<CsvInput.Row>(chunkSize);
                while (!interrupted)
                {
                    rows.Clear();
                    while (rows.Count < chunkSize && done + rows.Count < total && reader.Next() is { } row) rows.Add(row);
                    if (rows.Count == 0) break;
                    var records = handle(rows);
                    done += rows.Count;
                    checkpoint(records, done);
                    task.Value = done;
                    var rate = (done - skipped) / Math.Max(1e-3, watch.Elapsed.TotalSeconds);
                    task.Description = $"{options.Verb} {done:N0}/{total:N0} ({rate:F1} images/s)";
                    chunks++;
                    interrupted = cancel.IsCancellationRequested || (options.StopAfterChunks > 0 && chunks >= options.StopAfterChunks);
                }
            });
        return new Result(done, total, interrupted, watch.Elapsed);
    }

    /// <summary>
    /// With --resume and a progress file: checks it belongs to this input (by content), model and options, skips the
    /// rows already written and returns the progress; null for a fresh start.
    /// </summary>
    private Progress? Resume(IAnsiConsole console, CsvInput reader, string input, string partial, string progressPath)
    {
        if (!options.Resume) return null;
        if (!File.Exists(partial) || !File.Exists(progressPath))
        {
            console.MarkupLine($"[yellow]--resume: no {Path.GetFileName(partial).EscapeMarkup()} with progress; starting from the first row[/]");
            return null;
        }
        var saved = JsonSerializer.Deserialize<Progress>(File.ReadAllText(progressPath))
                    ?? throw new InvalidDataException($"--resume: '{progressPath}' is empty; delete it or run without --resume");
        if (saved.Input != input || saved.Identity != ProgressIdentity)
            throw new InvalidOperationException($"--resume: '{progressPath}' belongs to another input, model or options; delete it or run without --resume");
        if (InputFingerprint.Of(input, saved.InputBytes) != saved.InputSha256)
            throw new InvalidOperationException($"--resume: the first {saved.InputBytes:N0} bytes of '{input}' (the {saved.Rows:N0} rows already scored) " +
                                                "changed since the interrupted run; delete the partial files or run without --resume");
        if (new FileInfo(partial).Length < saved.Bytes)
            throw new InvalidDataException($"--resume: '{partial}' is shorter than its progress file records ({saved.Bytes:N0} bytes); run without --resume");
        for (var i = 0L; i < saved.Rows; i++)
            if (reader.Next() is null) throw new InvalidDataException($"--resume: '{input}' has fewer than the {saved.Rows:N0} rows already scored");
        if (reader.ConsumedBytes != saved.InputBytes)
            throw new InvalidOperationException($"--resume: the {saved.Rows:N0} rows already scored end at byte {reader.ConsumedBytes:N0} of '{input}', not {saved.InputBytes:N0}");
        console.MarkupLine($"--resume: {saved.Rows:N0} rows already in {Path.GetFileName(partial).EscapeMarkup()}; resuming after row {saved.Rows:N0}");
        return saved;
    }

    private static void WriteAtomically(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
