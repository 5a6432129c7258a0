using System.Diagnostics;
using System.Globalization;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Training.Onnx;
using EdramFer.Vision;

namespace EdramFer.Bench;

/// <summary>One timed pass: images/s and the predicted class of every image (an index into the tool's own class order).</summary>
internal sealed record TimedPass(int Images, double ImagesPerSecond, int[] Predictions);

/// <summary>An EdramFer model measured by <c>peers</c>.</summary>
internal sealed record EdramModel(string Name, string Path, EdramModelInfo Info);

/// <summary>A tool at its best batch size on one set: best and median images/s over the rounds, accuracy of its predictions.</summary>
internal sealed record ToolResult(string Tool, string Threads, int Images, int Batch, double Best, double Median,
    IReadOnlyDictionary<int, double> BestByBatch, ClassificationMetrics Metrics);

/// <summary>One set's results; <paramref name="Faces"/> = images EdramFer's preprocessing (detector chain <paramref name="Chain"/>) gave a face for.</summary>
internal sealed record SetResult(PeerSet Set, string Chain, int Faces, double PreprocessPerSecond, double DecodeMsPerImage, List<ToolResult> Tools);

/// <summary>
/// <c>peers</c>: EdramFer (fp32 plain, fp32 mirror-averaged, int8 with <c>--int8</c>) against face-api.js and Human's
/// emotion model in Node (bench/peers), model only, on the same images at the same thread count, in interleaved rounds;
/// writes "## Peers side by side" of docs/benchmarks.md. Skips, writing nothing, when Node.js is not installed.
/// Options: --limit N (evenly spaced PublicTest images; default all 3,589)  --rounds R (3)  --threads N (1)
/// --int8 PATH  --muxspace (also the muxspace half)  --batches 1,8,32,64  --peer-batches 1,32  --data DIR  --no-write.
/// </summary>
internal static class PeersBenchmark
{
    public const string Heading = "## Peers side by side";
    public const string Command = "dotnet run --project bench/EdramFer.Bench -c Release -- peers";
    private static readonly (string Id, string Name)[] Peers = [("faceapi", "face-api.js"), ("human", "Human")];

    internal sealed record Options(int? Limit, int Rounds, int Threads, string? Int8, bool Muxspace, int[] Batches, int[] PeerBatches, string Data, bool Write);

    public static int Run(string[] args)
    {
        if (Parse(args) is not { } o) return 2;
        if (PeersRunner.MissingTools() is { } missing)
        {
            Console.WriteLine($"peers: skipped, {missing}; docs/benchmarks.md left as it is");
            return 0;
        }
        var loadStart = BenchmarkDocs.LoadAverage();
        Console.WriteLine($"peers: {PeersRunner.EnsureInstalled(PeersRunner.Folder)}");
        var sets = new List<PeerSet> { PeerSets.Fer2013PublicTest(o.Data, o.Limit) };
        if (o.Muxspace) sets.Add(PeerSets.MuxspaceHalf(o.Data, o.Limit));
        var scratch = Directory.CreateTempSubdirectory("edram-peers-bench").FullName;
        try
        {
            var (models, shipped) = Models(scratch, o.Int8);
            using var runner = PeersRunner.Start(PeersRunner.Folder, o.Threads);
            var peerInfo = Peers.ToDictionary(p => p.Name, p => runner.Load(p.Id));
            var results = sets.Select(s => MeasureSet(s, models, shipped, runner, o)).ToList();
            var body = PeersReport.Write(o, shipped, runner.Runtime, peerInfo, results, loadStart, BenchmarkDocs.LoadAverage());
            Console.WriteLine(body);
            if (o.Write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection(Heading, body)}");
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static Options? Parse(string[] args)
    {
        var o = new Options(null, 3, 1, null, false, [1, 8, 32, 64], [1, 32],
            Environment.GetEnvironmentVariable("EDRAM_SHARED_DATA") ?? Path.Combine(BenchmarkDocs.RepoRoot(), "..", "shared", "data"), true);
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                Options? next = args[i] switch
                {
                    "--limit" => o with { Limit = Positive("--limit", Next()) },
                    "--rounds" => o with { Rounds = Positive("--rounds", Next()) },
                    "--threads" => o with { Threads = Positive("--threads", Next()) },
                    "--int8" => o with { Int8 = Path.GetFullPath(Next()) },
                    "--muxspace" => o with { Muxspace = true },
                    "--batches" => o with { Batches = Positives("--batches", Next()) },
                    "--peer-batches" => o with { PeerBatches = Positives("--peer-batches", Next()) },
                    "--data" => o with { Data = Next() },
                    "--no-write" => o with { Write = false },
                    _ => null,
                };
                o = next ?? throw new ArgumentException($"unknown option '{args[i]}': expected --limit, --rounds, --threads, --int8, --muxspace, " +
                                                        "--batches, --peer-batches, --data, --no-write");
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"peers: {e.Message}");
            return null;
        }
        return o with { Data = Path.GetFullPath(o.Data) };
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
            : throw new ArgumentException($"{name} '{value}': expected a positive integer");

    private static int[] Positives(string name, string value) => value.Split(',').Select(v => Positive(name, v.Trim())).Distinct().ToArray();

    /// <summary>
    /// The shipped mirror-averaged model, a plain export of the same checkpoint with the same options less the mirror
    /// branch (so the two differ only in it), and the int8 model when given.
    /// </summary>
    private static (List<EdramModel> Models, EdramModelInfo Shipped) Models(string scratch, string? int8)
    {
        var root = BenchmarkDocs.RepoRoot();
        var shipped = Path.Combine(root, "onnx", "edram-fer2013.onnx");
        var checkpoint = Path.Combine(root, "onnx", "edram-fer2013.ckpt");
        var mirror = EdramModelInfo.Read(shipped);
        if (!mirror.FlipAveraging) throw new InvalidDataException($"{shipped}: edram.flip_averaging is not true, expected the mirror-averaged export");
        var temperature = mirror.Metadata.TryGetValue(OnnxContract.Metadata.Temperature, out var t) ? double.Parse(t, CultureInfo.InvariantCulture) : 1;
        var plainPath = Path.Combine(scratch, "edram-fer2013-plain.onnx");
        var export = EdramOnnxExporter.ExportCheckpoint(checkpoint, plainPath, new OnnxExportOptions { FoldBatchNorm = false, Temperature = temperature });
        Console.WriteLine($"peers: plain export of onnx/edram-fer2013.ckpt, parity {export.Parity}");
        var models = new List<EdramModel>
        {
            new("EdramFer fp32 plain", plainPath, EdramModelInfo.Read(plainPath)),
            new("EdramFer fp32 mirror-averaged", shipped, mirror),
        };
        if (int8 is not null)
        {
            var info = EdramModelInfo.Read(int8);
            if (info.InputSize != mirror.InputSize || info.InputScale != mirror.InputScale || info.InputOffset != mirror.InputOffset)
                throw new InvalidDataException($"{int8}: input {info.InputSize}px x {info.InputScale} + {info.InputOffset}, expected the shipped model's " +
                                               $"{mirror.InputSize}px x {mirror.InputScale} + {mirror.InputOffset}: the faces are preprocessed once for all models");
            models.Add(new($"EdramFer int8 {(info.FlipAveraging ? "mirror-averaged" : "plain")}", int8, info));
        }
        return (models, mirror);
    }

    /// <summary>Every model and peer at every batch size on <paramref name="set"/>, faces preprocessed once as <paramref name="info"/> says.</summary>
    private static SetResult MeasureSet(PeerSet set, List<EdramModel> models, EdramModelInfo info, PeersRunner runner, Options o)
    {
        var (inputs, faceRows, preprocessRate) = Preprocess(set, info, o.Threads);
        var decodeMs = runner.Decode(set.Paths);
        Console.WriteLine($"peers: {set.Name}: {set.Paths.Count} images, EdramFer faces {faceRows.Length}, peers decoded at {decodeMs:F2} ms/image");
        var sessions = models.Select(m => new OrtModelPass(m.Path, inputs, info.InputSize, m.Info.Labels.Count, o.Threads)).ToList();
        try
        {
            var candidates = new List<(string Tool, int Batch, Func<int?, TimedPass> Pass)>();
            foreach (var (m, s) in models.Zip(sessions))
                candidates.AddRange(o.Batches.Select(b => (m.Name, b, (Func<int?, TimedPass>)(c => s.Pass(b, c)))));
            foreach (var (id, name) in Peers)
                candidates.AddRange(o.PeerBatches.Select(b => (name, b, (Func<int?, TimedPass>)(c => runner.Pass(id, b, c)))));
            var passes = Interleave(candidates.Select(c => (c.Tool + " @" + c.Batch, c.Pass)).ToList(), o.Rounds);

            var tools = new List<ToolResult>();
            var peerThreads = runner.Runtime["threads"]!.ToString();
            foreach (var (tool, batches) in candidates.GroupBy(c => c.Tool).Select(g => (g.Key, g.Select(c => c.Batch).ToList())))
            {
                var model = models.FirstOrDefault(m => m.Name == tool);
                var classes = model?.Info.Labels ?? runner.Classes;
                int[] rows = model is null ? Enumerable.Range(0, set.Paths.Count).ToArray() : faceRows;
                tools.Add(Summarise(set, tool, model is null ? peerThreads : o.Threads.ToString(CultureInfo.InvariantCulture),
                    batches.ToDictionary(b => b, b => passes[tool + " @" + b]), classes, rows));
            }
            var chain = set.Detect ? string.Join(" → ", info.Preprocess.Detectors).ToLowerInvariant() : "none";
            return new SetResult(set, chain, faceRows.Length, preprocessRate, decodeMs, tools);
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }
    }

    /// <summary>
    /// EdramFer's own preprocessing of the set (outside the timed passes): face tensors already scaled as the model
    /// expects, the set row of each face, and the preprocessing rate (read, decode, detect, crop, CLAHE).
    /// </summary>
    private static (float[] Inputs, int[] FaceRows, double PerSecond) Preprocess(PeerSet set, EdramModelInfo info, int threads)
    {
        var options = set.Detect ? info.Preprocess : info.Preprocess with { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage };
        using var pre = new FacePreprocessor(options);
        OpenCvSharp.Cv2.SetNumThreads(1); // one worker per thread, as edram score runs
        var sw = Stopwatch.StartNew();
        var results = pre.ProcessFiles(set.Paths, threads);
        var perSecond = set.Paths.Count / sw.Elapsed.TotalSeconds;
        var rows = Enumerable.Range(0, results.Count).Where(i => results[i].HasPixels).ToArray();
        var size = info.InputSize * info.InputSize;
        var inputs = new float[rows.Length * size];
        for (var k = 0; k < rows.Length; k++)
        {
            var pixels = results[rows[k]].Pixels!;
            for (var j = 0; j < size; j++) inputs[k * size + j] = pixels[j] * info.InputScale + info.InputOffset;
        }
        return (inputs, rows, perSecond);
    }

    /// <summary>
    /// One untimed warm-up pass of a few batches per candidate, then <paramref name="rounds"/> rounds of one full pass
    /// each, the order reversed every other round so that a change of background load reaches every candidate alike.
    /// </summary>
    private static Dictionary<string, List<TimedPass>> Interleave(List<(string Key, Func<int?, TimedPass> Pass)> candidates, int rounds)
    {
        var passes = candidates.ToDictionary(c => c.Key, _ => new List<TimedPass>());
        foreach (var (_, pass) in candidates) pass(64);
        for (var round = 0; round < rounds; round++)
        {
            var order = round % 2 == 0 ? candidates : Enumerable.Reverse(candidates).ToList();
            foreach (var (key, pass) in order)
            {
                var p = pass(null);
                passes[key].Add(p);
                Console.WriteLine($"  round {round + 1}/{rounds} {key,-40} {p.ImagesPerSecond,8:F1} images/s");
            }
        }
        return passes;
    }

    /// <summary>
    /// The tool's best batch size (highest best round), its best and median images/s there, and the accuracy of that
    /// batch's last predictions on the whole set: <paramref name="rows"/> maps each prediction to its set row, and a
    /// row without one (no face found) counts as wrong.
    /// </summary>
    internal static ToolResult Summarise(PeerSet set, string tool, string threads, Dictionary<int, List<TimedPass>> byBatch,
        IReadOnlyList<string> classes, int[] rows)
    {
        var best = byBatch.ToDictionary(kv => kv.Key, kv => kv.Value.Max(p => p.ImagesPerSecond));
        var batch = best.MaxBy(kv => kv.Value).Key;
        var rates = byBatch[batch].Select(p => p.ImagesPerSecond).Order().ToList();
        var median = rates.Count % 2 == 1 ? rates[rates.Count / 2] : (rates[rates.Count / 2 - 1] + rates[rates.Count / 2]) / 2;
        var last = byBatch[batch][^1];
        if (last.Predictions.Length != rows.Length)
            throw new InvalidOperationException($"{tool}: {last.Predictions.Length} predictions for {rows.Length} images");
        var toCanonical = classes.Select(c => PeerSets.ClassIndex(c, $"{tool}'s labels")).ToArray();
        var noFace = PeerSets.Classes.Length; // an extra column: never a true class, so it only lowers accuracy
        var predicted = Enumerable.Repeat(noFace, set.Truth.Length).ToArray();
        for (var k = 0; k < rows.Length; k++) predicted[rows[k]] = toCanonical[last.Predictions[k]];
        var metrics = ClassificationMetrics.From([.. PeerSets.Classes, "(no face)"], set.Truth, predicted, 0);
        return new ToolResult(tool, threads, last.Images, batch, best[batch], median, best, metrics);
    }
}
