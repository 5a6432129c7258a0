using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdramFer.Vision;

namespace EdramFer.Bench;

/// <summary>
/// <c>preprocess [--data DIR] [--no-write]</c>: images/s of the whole preprocessing (read file, decode, detect, crop,
/// resize, CLAHE) per detector chain on the muxspace subset, 1 thread and all cores; writes "## Preprocessing" of
/// docs/benchmarks.md. DIR is the shared data folder (default &lt;repo&gt;/../shared/data or $EDRAM_SHARED_DATA).
/// </summary>
internal static class PreprocessBenchmark
{
    public const string Command = "dotnet run --project bench/EdramFer.Bench -c Release -- preprocess";

    public static int Run(string[] args)
    {
        var data = Environment.GetEnvironmentVariable("EDRAM_SHARED_DATA");
        var write = true;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length) data = args[++i];
            else if (args[i] == "--no-write") write = false;
            else { Console.Error.WriteLine($"preprocess: unknown argument '{args[i]}'; expected --data DIR or --no-write"); return 2; }
        }
        data = Path.GetFullPath(data ?? Path.Combine(BenchmarkDocs.RepoRoot(), "..", "shared", "data"));
        var images = Path.Combine(data, "muxspace_facial_expressions", "images");
        if (!Directory.Exists(images)) { Console.Error.WriteLine($"preprocess: {images} not found; pass --data DIR or set EDRAM_SHARED_DATA"); return 1; }
        var files = Directory.GetFiles(images).OrderBy(f => f, StringComparer.Ordinal).ToList();
        var models = Path.Combine(data, "face_detectors");

        var chains = new (string Name, DetectorKind[] Chain)[]
        {
            ("ssd", [DetectorKind.Ssd]),
            ("yunet", [DetectorKind.YuNet]),
            ("haar", [DetectorKind.Haar]),
            ("none", []),
        };
        var cores = Environment.ProcessorCount;
        var loadBefore = BenchmarkDocs.LoadAverage();
        var table = new StringBuilder();
        table.AppendLine($"| chain | faces found | 1 thread (images/s) | {cores} threads (images/s) |");
        table.AppendLine("|---|---|---|---|");
        foreach (var (name, chain) in chains)
        {
            var options = new PreprocessOptions
            {
                Detectors = chain,
                SsdModelPath = Path.Combine(models, "opencv_face_detector_uint8.pb"),
                SsdConfigPath = Path.Combine(models, "opencv_face_detector.pbtxt"),
                YuNetModelPath = Path.Combine(models, "face_detection_yunet_2023mar.onnx"),
            };
            using var pre = new FacePreprocessor(options);
            pre.ProcessFiles(files.Take(20).ToList(), cores); // warm-up: page cache, one pooled detector per thread
            // One worker may use OpenCV's own threads; with one worker per core they only compete (measured 44 → 70 images/s).
            OpenCvSharp.Cv2.SetNumThreads(cores);
            var (one, found) = Measure(pre, files, 1);
            OpenCvSharp.Cv2.SetNumThreads(1);
            var (all, _) = Measure(pre, files, cores);
            var faces = chain.Length == 0 ? "n/a (whole image)" : $"{found}/{files.Count}";
            Console.WriteLine($"{name,-6} faces {faces,-18} 1 thread {one,7:F1} img/s   {cores} threads {all,7:F1} img/s");
            table.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {faces} | {one:F1} | {all:F1} |");
        }

        var body = new StringBuilder();
        body.AppendLine($"Whole preprocessing per image (read file, decode, detect, square crop, grey, 100x100 INTER_AREA, CLAHE 2.0/8x8) with");
        body.AppendLine($"`FacePreprocessor.ProcessFiles` on the {files.Count} images of `muxspace_facial_expressions/images` (mostly 350x350 JPEG),");
        body.AppendLine($"one detector per chain, after a 20-image warm-up. Goal: YuNet chain >= 100 images/s on 2 cores.");
        body.AppendLine();
        body.Append(table);
        body.AppendLine();
        body.AppendLine($"Load average (1 min) before / after: {loadBefore} / {BenchmarkDocs.LoadAverage()}: on a shared machine, compare rows only within one run.");
        body.AppendLine($"Machine: {cores} logical cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), .NET {Environment.Version}, OpenCV {OpenCvSharp.Cv2.GetVersionString()} (OpenCvSharp4).");
        body.AppendLine("1 thread: one worker, OpenCV free to use its own threads; N threads: one worker per core with OpenCV single-threaded (as the CLI runs it).");
        body.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `{Command}` (add `--data DIR` for another data folder).");
        if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection("## Preprocessing", body.ToString())}");
        return 0;
    }

    /// <summary>1-minute load average from /proc/loadavg ("n/a" elsewhere): tells whether other work competed for the cores.</summary>

    private static (double ImagesPerSecond, int Found) Measure(FacePreprocessor pre, IReadOnlyList<string> files, int threads)
    {
        var sw = Stopwatch.StartNew();
        var results = pre.ProcessFiles(files, threads);
        sw.Stop();
        var failed = results.FirstOrDefault(r => !r.HasPixels);
        if (failed is not null) throw new InvalidOperationException($"benchmark input failed: {failed.Message}");
        return (files.Count / sw.Elapsed.TotalSeconds, results.Count(r => r.FaceFound));
    }
}
