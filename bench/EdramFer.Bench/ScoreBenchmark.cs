using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Training.Model;
using EdramFer.Training.Onnx;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.Bench;

/// <summary>
/// Scoring: (1) end-to-end <c>edram score</c> throughput, the real command run as a child process, on the muxspace
/// photos (haar, yunet) and the FER2013 PublicTest crops (<c>--detector none</c>); (2) the ML.NET pipeline's overhead
/// (ApplyEdram, which runs one row per ONNX Runtime call) against a raw ONNX Runtime loop at batch 1 on the same
/// preprocessed tensors, and the batched scorer of <c>edram score</c> against raw ONNX Runtime at its batch size;
/// (3) the working set of <c>edram score</c> on a 100k-row CSV. Writes the "## Scoring" section of docs/benchmarks.md.
/// Options: --model PATH (default onnx/edram-fer2013.onnx, else a random-weights cpu-preset export)  --data DIR
/// --seconds S (cap per end-to-end run, default 90)  --memory-seconds S (default 120)  --rows N (default 100000)
/// --batch-size N (default 32, as edram score)  --no-write.
/// </summary>
internal static class ScoreBenchmark
{
    private const string Heading = "## Scoring";
    private static readonly string[] FerLabels = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"];

    public static int Run(string[] args)
    {
        var root = BenchmarkDocs.RepoRoot();
        string? model = null;
        var data = Path.GetFullPath(Path.Combine(root, "..", "shared", "data"));
        double seconds = 90, memorySeconds = 120;
        int rows = 100_000, batch = 32;
        var write = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--data": data = Path.GetFullPath(args[++i]); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--memory-seconds": memorySeconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rows": rows = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch-size": batch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-write": write = false; break;
                default:
                    Console.Error.WriteLine($"unknown option '{args[i]}': expected --model, --data, --seconds, --memory-seconds, --rows, --batch-size, --no-write");
                    return 2;
            }
        }
        var muxspace = Path.Combine(data, "muxspace_facial_expressions", "images");
        var ferTest = Path.Combine(data, "fer2013", "test");
        var yunet = Path.Combine(data, "face_detectors", "face_detection_yunet_2023mar.onnx");
        foreach (var needed in new[] { muxspace, ferTest, yunet })
            if (!Path.Exists(needed))
            {
                Console.Error.WriteLine($"data not found: {needed} (use --data)");
                return 1;
            }

        var scratch = Directory.CreateTempSubdirectory("edram-score-bench").FullName;
        try
        {
            string modelNote;
            var shipped = Path.Combine(root, "onnx", "edram-fer2013.onnx");
            if (model is not null) modelNote = $"`{Path.GetFileName(model)}` (given with --model)";
            else if (File.Exists(shipped))
            {
                model = shipped;
                modelNote = "`onnx/edram-fer2013.onnx` (the shipped model)";
            }
            else
            {
                // No trained model yet: the timing does not depend on the weights, only on the graph's size.
                model = Path.Combine(scratch, "random-cpu.onnx");
                EdramOnnxExporter.ExportRandom(model, EdramConfig.Cpu, FerLabels, seed: 1);
                modelNote = $"a random-weights cpu-preset export ({EdramConfig.Cpu.Steps} glimpses; `onnx/edram-fer2013.onnx` does not exist yet)";
            }
            model = Path.GetFullPath(model);
            var info = EdramModelInfo.Read(model);
            // A mirror-averaged export runs every image twice; the figures are only comparable between like exports.
            modelNote += $", SHA-256 `{info.Sha256[..8]}…`, {info.Steps} glimpses, "
                + (info.FlipAveraging ? "mirror-averaged export (image and mirror in one batch: twice the network's work per image)" : "plain export");
            Console.WriteLine($"model: {model} ({new FileInfo(model).Length / 1e6:F0} MB, {info.Steps} steps, labels {string.Join(",", info.Labels)})");

            var muxPaths = Directory.GetFiles(muxspace, "*.jpg").Order(StringComparer.Ordinal).ToList();
            var ferPaths = Directory.GetDirectories(ferTest).Order(StringComparer.Ordinal)
                .SelectMany(d => Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal)).ToList();
            var muxCsv = WriteCsv(Path.Combine(scratch, "muxspace.csv"), muxPaths, muxPaths.Count);
            var ferCsv = WriteCsv(Path.Combine(scratch, "fer-test.csv"), ferPaths, ferPaths.Count);
            var bigCsv = WriteCsv(Path.Combine(scratch, "big.csv"), ferPaths, rows);

            // 1. End to end, the real command.
            var endToEnd = new List<string>();
            foreach (var (name, csv, total, detector) in new[]
                     {
                         ("muxspace, haar", muxCsv, muxPaths.Count, new[] { "--detector", "haar" }),
                         ("muxspace, yunet", muxCsv, muxPaths.Count, new[] { "--detector", "yunet", "--yunet-model", yunet }),
                         ("FER2013 PublicTest, none", ferCsv, ferPaths.Count, new[] { "--detector", "none" }),
                     })
            {
                // Batch 8 = chunks of 64 rows: enough progress points within the cap even at the Haar chain's ~10 images/s.
                var r = ScoreRun(model, csv, [.. detector, "--batch-size", "8"], seconds);
                var row = $"| {name} | {r.Rows:N0} / {total:N0}{(r.Completed ? "" : " (time cap)")} | {r.SteadyRate:F1} | {r.OverallRate:F1} | {r.WallSeconds:F0} |";
                Console.WriteLine(row);
                endToEnd.Add(row);
            }

            // 2. The same preprocessed tensors through ML.NET and through raw ONNX Runtime.
            // About 2 s per pass and 5 interleaved rounds: 0.6 s passes of 129 faces swung the batch-1 overhead from +2 to +16 %.
            var overhead = ScoreOverhead.Measure(model, info, ferPaths.Where((_, i) => i % 7 == 0).Take(512).ToList(), batch);

            // 3. Memory on a long CSV.
            var memory = ScoreRun(model, bigCsv, ["--detector", "none", "--batch-size", batch.ToString(CultureInfo.InvariantCulture)], memorySeconds, sampleMemory: true);

            var body = Report(modelNote, batch, endToEnd, overhead, memory, rows, memorySeconds);
            Console.WriteLine(body);
            if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection(Heading, body)}");
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string WriteCsv(string path, IReadOnlyList<string> images, int rows)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("path");
        for (var i = 0; i < rows; i++) w.WriteLine(images[i % images.Count]);
        return path;
    }

    private sealed record RunResult(long Rows, bool Completed, double SteadyRate, double OverallRate, double WallSeconds, List<(double Seconds, long Rows, double RssMb)> Samples, double PeakMb);

    /// <summary>
    /// Runs <c>edram score</c> (edram.dll next to this benchmark) on <paramref name="csv"/> until it finishes or
    /// <paramref name="cap"/> seconds pass (then kills it). Progress comes from the command's own progress file; the
    /// steady rate is measured from the first flushed chunk to the last (start-up and model load excluded).
    /// </summary>
    private static RunResult ScoreRun(string model, string csv, string[] options, double cap, bool sampleMemory = false)
    {
        var dir = Path.GetDirectoryName(csv)!;
        // A fresh output per run: a progress file left by an earlier, killed run would be read as this run's progress.
        var output = Path.Combine(dir, $"out-{Guid.NewGuid():N}.csv");
        var progress = output + ".partial.json";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "edram.dll"), "score", "--model", model, "--input", csv, "--output", output })
            start.ArgumentList.Add(a);
        foreach (var o in options) start.ArgumentList.Add(o);
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var samples = new List<(double Seconds, long Rows, double RssMb)>();
        (double Seconds, long Rows)? first = null, last = null;
        double peak = 0;
        while (!p.WaitForExit(250))
        {
            var rows = ReadRows(progress);
            var t = watch.Elapsed.TotalSeconds;
            if (rows > 0)
            {
                if (first is null) first = (t, rows);
                if (last is null || rows > last.Value.Rows) last = (t, rows);
            }
            if (sampleMemory && rows > 0)
            {
                p.Refresh();
                samples.Add((t, rows, p.WorkingSet64 / 1048576.0));
                peak = Math.Max(peak, p.PeakWorkingSet64 / 1048576.0);
            }
            if (t > cap)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                break;
            }
        }
        var wall = watch.Elapsed.TotalSeconds;
        var completed = p.ExitCode == 0;
        if (!completed && wall <= cap)
            throw new InvalidOperationException($"edram score failed ({p.ExitCode}): {stdout.Result}{stderr.Result}");
        long done = completed ? File.ReadLines(output).LongCount() - 1 : last?.Rows ?? 0;
        var steady = first is { } f && last is { } l && l.Rows > f.Rows ? (l.Rows - f.Rows) / (l.Seconds - f.Seconds) : double.NaN;
        if (completed && first is { } f2 && done > f2.Rows) steady = (done - f2.Rows) / (wall - f2.Seconds);
        return new RunResult(done, completed, steady, done / wall, wall, samples, peak);
    }

    private static long ReadRows(string progressFile)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(progressFile));
            return doc.RootElement.GetProperty("Rows").GetInt64();
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or KeyNotFoundException)
        {
            return 0; // not written yet, or caught mid-rename
        }
    }

    private static string Report(string modelNote, int batch, List<string> endToEnd, ScoreOverhead.Result o, RunResult memory, int rows, double memorySeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        string Pct(double raw, double other) => (raw / other - 1).ToString("+0.0 %;-0.0 %", inv);
        var b = new StringBuilder();
        b.AppendLine($"Model: {modelNote}. CPU only (ONNX Runtime's CPU provider, default threads).");
        b.AppendLine();
        b.AppendLine("End to end: the real `edram score --batch-size 8` (child process: read CSV, decode, detect, crop, CLAHE, ONNX Runtime,");
        b.AppendLine("write CSV; chunks of 64 rows so that slow chains report progress within the cap), one run per line, capped by time.");
        b.AppendLine("\"Steady\" counts from the first flushed chunk to the end (start-up and model load excluded); \"overall\" is rows / wall");
        b.AppendLine("time of the process.");
        b.AppendLine();
        b.AppendLine("| input, detector | rows scored | steady (images/s) | overall (images/s) | wall (s) |");
        b.AppendLine("|---|---|---|---|---|");
        foreach (var r in endToEnd) b.AppendLine(r);
        b.AppendLine();
        b.AppendLine($"ML.NET overhead: the same {o.Images} preprocessed FER2013 faces (in memory), best of {ScoreOverhead.Rounds} interleaved passes. ApplyEdram");
        b.AppendLine("(ML.NET row mappers score one row per ONNX Runtime call) against a raw ONNX Runtime loop at batch 1, and the batched");
        b.AppendLine($"`EdramScorer` that `edram score` uses against raw ONNX Runtime at batch {batch}; overhead = raw / other − 1. Goal: ML.NET ≤ 10 %.");
        b.AppendLine("Cores: the process's CPU time over the pass's wall time. ML.NET splits a cursor over its own parallel cursors when the");
        b.AppendLine("mapping is expensive, so ApplyEdram can use more cores than one ONNX Runtime call at a time; a negative overhead means that.");
        b.AppendLine();
        b.AppendLine("| path | batch | images/s | cores | raw ONNX Runtime (images/s) | raw cores | overhead |");
        b.AppendLine("|---|---|---|---|---|---|---|");
        var c = o.Cores;
        b.AppendLine($"| ML.NET `ApplyEdram` (Transform + cursor) | 1 | {o.MlNet:F1} | {c["mlnet"]:F2} | {o.RawOne:F1} | {c["raw1"]:F2} | {Pct(o.RawOne, o.MlNet)} |");
        b.AppendLine($"| `EdramScorer.Score` (edram score) | {batch} | {o.Scorer:F1} | {c["scorer"]:F2} | {o.RawBatch:F1} | {c["rawBatch"]:F2} | {Pct(o.RawBatch, o.Scorer)} |");
        b.AppendLine();
        var s = memory.Samples;
        string Mb(int i) => s.Count == 0 ? "n/a" : $"{s[i].RssMb:F0} MB (row {s[i].Rows:N0})";
        b.AppendLine($"Memory: `edram score --detector none --batch-size {batch}` on a {rows:N0}-row CSV (FER2013 PublicTest paths repeated), working set sampled every");
        b.AppendLine($"0.25 s from the first flushed chunk: start {Mb(0)}, middle {Mb(s.Count / 2)}, end {Mb(s.Count - 1)}; peak {memory.PeakMb:F0} MB.");
        b.AppendLine(memory.Completed
            ? $"All {memory.Rows:N0} rows scored in {memory.WallSeconds:F0} s."
            : $"Capped at {memorySeconds:F0} s: {memory.Rows:N0} of {rows:N0} rows scored ({memory.SteadyRate:F1} images/s).");
        b.AppendLine();
        b.AppendLine($"Machine: {Environment.ProcessorCount} logical cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), .NET {Environment.Version}, " +
                     $"ONNX Runtime 1.31 (CPU), ML.NET 5.0.1. Load average (1 min) at the end: {BenchmarkDocs.LoadAverage()}; above the core count means other work shared the machine.");
        b.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `dotnet run --project bench/EdramFer.Bench -c Release -- score` " +
                     "(options `--model PATH`, `--seconds 90`, `--memory-seconds 120`, `--rows 100000`, `--batch-size 32`, `--no-write`).");
        return b.ToString();
    }


}
