using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Bench;

/// <summary>
/// <c>detectors [--data DIR] [--faceless DIR] [--threshold T] [--min-face N] [--dlib-upsample N] [--no-write]</c>: for each
/// detector and chain, faces found on the muxspace images, false detections on face-less pictures and end-to-end
/// images/s; picks the default by the rule ">= 99 % found, then fewest false detections, then speed" and writes
/// "## Detector chains" of docs/benchmarks.md. The face-less set is built by faceless-images.sh (Debian packages,
/// extracted into artifacts/faceless, never committed) when the folder does not exist.
/// </summary>
internal static class DetectorBenchmark
{
    public const string Command = "dotnet run --project bench/EdramFer.Bench -c Release -- detectors";
    private const double RequiredFoundRate = 0.99;

    private sealed record Row(string Name, int Found, int Total, int False, int Faceless, double ImagesPerSecond, bool Available)
    {
        public bool Qualifies => Available && Found >= RequiredFoundRate * Total;
    }

    public static int Run(string[] args)
    {
        var data = Environment.GetEnvironmentVariable("EDRAM_SHARED_DATA");
        var faceless = Path.Combine(BenchmarkDocs.RepoRoot(), "artifacts", "faceless");
        var template = new PreprocessOptions { NoFacePolicy = NoFacePolicy.Reject };
        var write = true;
        HashSet<string>? only = null; // --chains dlib,yunet+dlib: a subset, for trying settings; the docs get the full table only
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--data": data = Next(); break;
                    case "--faceless": faceless = Path.GetFullPath(Next()); break;
                    case "--threshold": template = template with { ScoreThreshold = float.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                    case "--min-face": template = template with { MinFaceSize = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                    case "--dlib-threshold": template = template with { DlibScoreThreshold = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                    case "--chains": only = Next().Split(',').ToHashSet(StringComparer.Ordinal); break;
                    case "--dlib-upsample": template = template with { DlibUpsample = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                    case "--no-write": write = false; break;
                    default: throw new ArgumentException($"unknown argument '{args[i]}'; expected --data, --faceless, --threshold, --min-face, --dlib-threshold, --dlib-upsample, --chains or --no-write");
                }
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"detectors: {e.Message}");
            return 2;
        }
        data = Path.GetFullPath(data ?? Path.Combine(BenchmarkDocs.RepoRoot(), "..", "shared", "data"));
        var images = Path.Combine(data, "muxspace_facial_expressions", "images");
        if (!Directory.Exists(images)) { Console.Error.WriteLine($"detectors: {images} not found; pass --data DIR or set EDRAM_SHARED_DATA"); return 1; }
        if (!Directory.Exists(faceless) && !BuildFaceless(faceless)) return 1;
        var files = Directory.GetFiles(images).OrderBy(f => f, StringComparer.Ordinal).ToList();
        var noFace = LoadFaceless(faceless);

        var chains = Chains().Where(c => only is null || only.Contains(c.Name.Replace("→", "+"))).ToList();
        write &= only is null;
        var rows = chains.Select(c => Measure(c.Name, template with { Detectors = c.Chain }, files, noFace)).ToList();
        var qualifying = rows.Where(r => r.Qualifies).OrderBy(r => r.False).ThenByDescending(r => r.ImagesPerSecond).ToList();
        var chosen = qualifying.FirstOrDefault();
        Console.WriteLine(chosen is null ? "no chain reaches 99 % found" : $"chosen: {chosen.Name}");
        if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection("## Detector chains", Report(rows, chosen, template, files.Count, noFace.Count))}");
        foreach (var (_, m) in noFace) m.Dispose();
        return 0;
    }

    private static (string Name, DetectorKind[] Chain)[] Chains() =>
    [
        ("yunet", [DetectorKind.YuNet]),
        ("ssd", [DetectorKind.Ssd]),
        ("haar", [DetectorKind.Haar]),
        ("dlib", [DetectorKind.Dlib]),
        ("yunet→dlib", [DetectorKind.YuNet, DetectorKind.Dlib]),
        ("ssd→dlib", [DetectorKind.Ssd, DetectorKind.Dlib]),
        ("yunet→ssd", [DetectorKind.YuNet, DetectorKind.Ssd]),
        ("yunet→ssd→dlib", [DetectorKind.YuNet, DetectorKind.Ssd, DetectorKind.Dlib]),
    ];

    private static Row Measure(string name, PreprocessOptions options, List<string> files, List<(string Name, Mat Image)> noFace)
    {
        if (options.Detectors.Contains(DetectorKind.Dlib) && !DlibFaceDetector.IsAvailable)
        {
            Console.WriteLine($"{name,-16} skipped: {DlibFaceDetector.UnavailableReason}");
            return new Row(name, 0, files.Count, 0, noFace.Count, 0, false);
        }
        using var pre = new FacePreprocessor(options);
        var cores = Environment.ProcessorCount;
        Cv2.SetNumThreads(1); // one worker per core, OpenCV single-threaded: as the CLI runs it
        pre.ProcessFiles(files.Take(20).ToList(), cores); // warm-up: page cache, one pooled detector per thread
        var sw = Stopwatch.StartNew();
        var results = pre.ProcessFiles(files, cores);
        sw.Stop();
        var failed = results.FirstOrDefault(r => r.Status is not (PreprocessStatus.Ok or PreprocessStatus.NoFace));
        if (failed is not null) throw new InvalidOperationException($"benchmark input failed: {failed.Message}");
        var falseHits = new List<string>();
        Parallel.ForEach(noFace, new ParallelOptions { MaxDegreeOfParallelism = cores }, item =>
        {
            var r = pre.ProcessPixels(Raw(item.Image), item.Image.Width, item.Image.Height, item.Image.Channels(), item.Name);
            if (r.FaceFound) lock (falseHits) falseHits.Add($"{item.Name} ({r.Detector} {r.Face})");
        });
        var row = new Row(name, results.Count(r => r.FaceFound), files.Count, falseHits.Count, noFace.Count, files.Count / sw.Elapsed.TotalSeconds, true);
        Console.WriteLine($"{name,-16} found {row.Found}/{row.Total}  false {row.False}/{row.Faceless}  {row.ImagesPerSecond,6:F1} images/s");
        foreach (var hit in falseHits.Order(StringComparer.Ordinal)) Console.WriteLine($"    false detection: {hit}");
        return row;
    }

    private static string Report(List<Row> rows, Row? chosen, PreprocessOptions template, int total, int faceless)
    {
        var inv = CultureInfo.InvariantCulture;
        var body = new StringBuilder();
        body.AppendLine($"Faces found on the {total} images of `muxspace_facial_expressions/images`, false detections on {faceless} face-less");
        body.AppendLine("pictures, and end-to-end images/s on the muxspace images (read, decode, detect, crop, CLAHE; one worker per core,");
        body.AppendLine("OpenCV single-threaded, as `edram score` runs). A chain tries its detectors in order until one finds a face, so a");
        body.AppendLine("fallback only runs on the first detector's misses. False detections: face-less pictures in which the chain reports a");
        body.AppendLine("face. The face-less set is built at run time from Debian packages (`bench/EdramFer.Bench/faceless-images.sh`:");
        body.AppendLine("scikit-image's sample photos such as chelsea, coffee, rocket and coins, matplotlib's sample pictures and KDE Plasma's");
        body.AppendLine("wallpapers) and never committed. Rule for the default: >= 99 % found, then fewest false detections, then speed.");
        body.AppendLine();
        body.AppendLine("| chain | faces found | found % | false detections | images/s |");
        body.AppendLine("|---|---|---|---|---|");
        foreach (var r in rows)
            body.AppendLine(r.Available
                ? string.Create(inv, $"| {(r == chosen ? $"**{r.Name}**" : r.Name)} | {r.Found}/{r.Total} | {100.0 * r.Found / r.Total:F1} | {r.False}/{r.Faceless} | {r.ImagesPerSecond:F1} |")
                : $"| {r.Name} | dlib shim not built | | | |");
        body.AppendLine();
        body.AppendLine(chosen is null ? "No chain reached 99 % found." : $"Chosen by the rule: **{chosen.Name}** (the library default, `PreprocessOptions.DefaultDetectors`).");
        var threshold = template.ScoreThreshold is { } t ? t.ToString("R", inv) : $"per detector (SSD {PreprocessOptions.DefaultSsdScoreThreshold.ToString(inv)}, YuNet {PreprocessOptions.DefaultYuNetScoreThreshold.ToString(inv)})";
        body.AppendLine($"Settings: score threshold {threshold}; minimum face size {template.MinFaceSize} px; dlib score threshold {template.DlibScoreThreshold.ToString(inv)}, upsampling {template.DlibUpsample}, border {DlibFaceDetector.PadFraction.ToString(inv)}; Haar minNeighbors 5.");
        body.AppendLine($"Load average (1 min) at the end: {BenchmarkDocs.LoadAverage()}. Machine: {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, OpenCV {Cv2.GetVersionString()}, dlib 19.24 (Debian).");
        body.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `{Command}` (options: `--threshold T`, `--min-face N`, `--dlib-threshold T`, `--dlib-upsample N`, `--chains dlib,yunet+dlib`, `--data DIR`, `--faceless DIR`).");
        return body.ToString();
    }

    internal static bool BuildFaceless(string folder)
    {
        var script = Path.Combine(BenchmarkDocs.RepoRoot(), "bench", "EdramFer.Bench", "faceless-images.sh");
        Console.WriteLine($"building the face-less set: {script} {folder}");
        using var p = Process.Start(new ProcessStartInfo("bash", [script, folder])) ?? throw new InvalidOperationException("could not start bash");
        p.WaitForExit();
        if (p.ExitCode == 0) return true;
        Console.Error.WriteLine($"detectors: {script} failed with exit code {p.ExitCode}; pass --faceless DIR with face-less pictures");
        return false;
    }

    /// <summary>Decoded once up front: large wallpapers would otherwise dominate every chain's time with decoding.</summary>
    internal static List<(string, Mat)> LoadFaceless(string folder) =>
        Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), Cv2.ImRead(f, ImreadModes.Color)))
            .Where(x => !x.Item2.Empty()).ToList();

    internal static byte[] Raw(Mat m)
    {
        var bytes = new byte[m.Total() * m.ElemSize()];
        System.Runtime.InteropServices.Marshal.Copy(m.Data, bytes, 0, bytes.Length);
        return bytes;
    }
}
