using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Bench;

/// <summary>
/// <c>detector-size [--data DIR] [--faceless DIR] [--no-write]</c>: YuNet and the SSD at several
/// <see cref="PreprocessOptions.DetectorInputSize"/> values: faces found and images/s on the muxspace images, false
/// detections on the face-less pictures, and small faces found in a large group picture; writes "## Detector input size".
/// </summary>
internal static class DetectorSizeBenchmark
{
    public const string Command = "dotnet run --project bench/EdramFer.Bench -c Release -- detector-size";
    private static readonly int[] Sizes = [160, 320, 640, 1280];
    private static readonly (string Photo, int Side)[] GroupTiles =
        [("Aaron_Guiel_0001.jpg", 200), ("Adam_Rich_0001.jpg", 160), ("Abdullah_0004.jpg", 130), ("Abdel_Aziz_Al-Hakim_0001.jpg", 110)];

    private sealed record Row(DetectorKind Detector, int Size, int Found, int Total, int False, int Faceless, int GroupFound, int GroupExtra, double ImagesPerSecond, double GroupMs);

    public static int Run(string[] args)
    {
        var data = Environment.GetEnvironmentVariable("EDRAM_SHARED_DATA");
        var faceless = Path.Combine(BenchmarkDocs.RepoRoot(), "artifacts", "faceless");
        var write = true;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length) data = args[++i];
            else if (args[i] == "--faceless" && i + 1 < args.Length) faceless = Path.GetFullPath(args[++i]);
            else if (args[i] == "--no-write") write = false;
            else { Console.Error.WriteLine($"detector-size: unknown argument '{args[i]}'; expected --data DIR, --faceless DIR or --no-write"); return 2; }
        }
        data = Path.GetFullPath(data ?? Path.Combine(BenchmarkDocs.RepoRoot(), "..", "shared", "data"));
        var images = Path.Combine(data, "muxspace_facial_expressions", "images");
        if (!Directory.Exists(images)) { Console.Error.WriteLine($"detector-size: {images} not found; pass --data DIR or set EDRAM_SHARED_DATA"); return 1; }
        if (!Directory.Exists(faceless) && !DetectorBenchmark.BuildFaceless(faceless)) return 1;
        var files = Directory.GetFiles(images).Order(StringComparer.Ordinal).ToList();
        var noFace = DetectorBenchmark.LoadFaceless(faceless);
        var (group, tiles) = Group(images);
        var rows = new List<Row>();
        foreach (var kind in new[] { DetectorKind.YuNet, DetectorKind.Ssd })
            foreach (var size in Sizes)
                rows.Add(Measure(new PreprocessOptions { Detectors = [kind], DetectorInputSize = size, NoFacePolicy = NoFacePolicy.Reject }, files, noFace, group, tiles));
        if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection("## Detector input size", Report(rows, group))}");
        foreach (var (_, m) in noFace) m.Dispose();
        group.Dispose();
        return 0;
    }

    private static Row Measure(PreprocessOptions options, List<string> files, List<(string Name, Mat Image)> noFace, Mat group, Rect[] tiles)
    {
        using var pre = new FacePreprocessor(options);
        var cores = Environment.ProcessorCount;
        Cv2.SetNumThreads(1); // one worker per core, OpenCV single-threaded: as edram score runs it
        pre.ProcessFiles(files.Take(20).ToList(), cores);
        var watch = Stopwatch.StartNew();
        var found = pre.ProcessFiles(files, cores).Count(r => r.FaceFound);
        watch.Stop();
        var falseHits = noFace.AsParallel().WithDegreeOfParallelism(cores)
            .Count(item => pre.ProcessPixels(DetectorBenchmark.Raw(item.Image), item.Image.Width, item.Image.Height, item.Image.Channels(), item.Name).FaceFound);
        using var detector = FacePreprocessor.CreateDetector(options, options.Detectors[0]);
        var boxes = detector.Detect(group);
        var groupWatch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++) detector.Detect(group);
        var groupMs = groupWatch.Elapsed.TotalMilliseconds / 5;
        static bool On(Rect tile, FaceBox b) => tile.Contains(new Point(b.X + b.Width / 2, b.Y + b.Height / 2));
        var hit = tiles.Count(t => boxes.Any(b => On(t, b)));
        var extra = boxes.Count(b => !tiles.Any(t => On(t, b)));
        var row = new Row(options.Detectors[0], options.DetectorInputSize, found, files.Count, falseHits, noFace.Count, hit, extra, files.Count / watch.Elapsed.TotalSeconds, groupMs);
        Console.WriteLine($"{row.Detector,-6} {row.Size,5}: found {found}/{files.Count}, false {falseHits}/{noFace.Count}, group {hit}/{tiles.Length} (+{extra}) in {groupMs:F0} ms, {row.ImagesPerSecond,6:F1} images/s");
        return row;
    }

    /// <summary>Four muxspace photos of 110-200 px on a grey 2560x1440 picture: faces small next to the image.</summary>
    private static (Mat Group, Rect[] Tiles) Group(string images)
    {
        var group = new Mat(new Size(2560, 1440), MatType.CV_8UC3, new Scalar(128, 128, 128));
        var tiles = new Rect[GroupTiles.Length];
        for (var i = 0; i < tiles.Length; i++)
        {
            var (photo, side) = GroupTiles[i];
            tiles[i] = new Rect(200 + i * 600, 400 + (i % 2) * 500, side, side);
            using var face = Cv2.ImRead(Path.Combine(images, photo), ImreadModes.Color);
            using var roi = new Mat(group, tiles[i]);
            Cv2.Resize(face, roi, tiles[i].Size, 0, 0, InterpolationFlags.Area);
        }
        return (group, tiles);
    }

    private static string Report(List<Row> rows, Mat group)
    {
        var inv = CultureInfo.InvariantCulture;
        var body = new StringBuilder();
        body.AppendLine("`PreprocessOptions.DetectorInputSize` (CLI `--detector-size`): the longest side YuNet and the SSD look at. Larger");
        body.AppendLine("images are scaled down to it, smaller ones are seen at their own size (YuNet: rounded up to a multiple of 32).");
        body.AppendLine("Faces found and images/s on the 1160 muxspace images (937 of them 350x350, the rest 39-170 px; read, decode,");
        body.AppendLine("detect, crop, CLAHE; one worker per core, OpenCV single-threaded), false detections on the 52 face-less pictures of");
        body.AppendLine($"\"Detector chains\", and faces found in a {group.Width}x{group.Height} grey picture holding four muxspace photos of 110-200 px");
        body.AppendLine("(+N: detections away from them) with the detector's time on that picture. Ratios against 320 (the default) in this");
        body.AppendLine("run. The muxspace images are at most 350 px, so every size from 352 up sees them alike: what a larger size costs shows");
        body.AppendLine("in the time on the large picture.");
        body.AppendLine();
        body.AppendLine("| detector | input size | faces found | false detections | group picture | ms on the group picture | images/s | vs 320 |");
        body.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var baseline = rows.First(b => b.Detector == r.Detector && b.Size == PreprocessOptions.DefaultDetectorInputSize);
            var name = r.Size == PreprocessOptions.DefaultDetectorInputSize ? $"**{r.Size}**" : r.Size.ToString(inv);
            body.AppendLine(string.Create(inv, $"| {DetectorNames.Format([r.Detector])} | {name} | {r.Found}/{r.Total} | {r.False}/{r.Faceless} | {r.GroupFound}/4 (+{r.GroupExtra}) | {r.GroupMs:F0} | {r.ImagesPerSecond:F1} | {r.ImagesPerSecond / baseline.ImagesPerSecond:F2}x |"));
        }
        body.AppendLine();
        body.AppendLine($"Load average (1 min) at the end: {BenchmarkDocs.LoadAverage()}. Machine: {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, OpenCV {Cv2.GetVersionString()}.");
        body.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `{Command}` (options: `--data DIR`, `--faceless DIR`, `--no-write`).");
        return body.ToString();
    }
}
