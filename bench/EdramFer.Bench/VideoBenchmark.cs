using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdramFer.ML;
using EdramFer.Video;
using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Bench;

/// <summary>
/// <c>video [--data DIR] [--frames N] [--no-write]</c>: frames/s of the whole video path (decode, detect, track, crop,
/// CLAHE, ONNX Runtime, CSV) with the shipped model on a 640x480 MPEG-4 video of one real face (a muxspace photo moving
/// across a grey frame), detecting every frame and every third; writes "## Video" of docs/benchmarks.md.
/// </summary>
internal static class VideoBenchmark
{
    public const string Command = "dotnet run --project bench/EdramFer.Bench -c Release -- video";

    public static int Run(string[] args)
    {
        var data = Environment.GetEnvironmentVariable("EDRAM_SHARED_DATA");
        var frames = 600;
        var write = true;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length) data = args[++i];
            else if (args[i] == "--frames" && i + 1 < args.Length) frames = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--no-write") write = false;
            else { Console.Error.WriteLine($"video: unknown argument '{args[i]}'; expected --data DIR, --frames N or --no-write"); return 2; }
        }
        data = Path.GetFullPath(data ?? Path.Combine(BenchmarkDocs.RepoRoot(), "..", "shared", "data"));
        var images = Path.Combine(data, "muxspace_facial_expressions", "images");
        if (!Directory.Exists(images)) { Console.Error.WriteLine($"video: {images} not found; pass --data DIR or set EDRAM_SHARED_DATA"); return 1; }
        var modelPath = Path.Combine(BenchmarkDocs.RepoRoot(), "onnx", "edram-fer2013.onnx");
        var dir = Directory.CreateTempSubdirectory("edram-video-bench").FullName;
        try
        {
            using var scorer = EdramScorer.Load(modelPath);
            var photo = Directory.GetFiles(images, "*.jpg").Order(StringComparer.Ordinal).First();
            var video = Path.Combine(dir, "one-face.mp4");
            WriteVideo(video, photo, frames);
            var yunet = Path.Combine(data, "face_detectors", "face_detection_yunet_2023mar.onnx");
            var chains = new List<(string Name, PreprocessOptions Options)> { ($"{DetectorNames.Format(scorer.Info.Preprocess.Detectors)} (the model's default)", scorer.Info.Preprocess) };
            if (File.Exists(yunet)) chains.Add(("yunet", scorer.Info.Preprocess with { Detectors = [DetectorKind.YuNet], YuNetModelPath = yunet }));
            Cv2.SetNumThreads(Environment.ProcessorCount); // as `edram video` runs it: one frame at a time, OpenCV may use every core
            var table = new StringBuilder("| detector | --detect-every | frames | rows with a face | frames/s | located and scored in turn (frames/s) | ratio | detector alone (ms/frame) |\n|---|---|---|---|---|---|---|---|\n");
            foreach (var (name, preprocess) in chains)
            {
                var detectMs = DetectorMs(preprocess, video);
                foreach (var every in new[] { 1, 3 })
                {
                    var options = new VideoOptions { Preprocess = preprocess, DetectEvery = every };
                    var (fps, found) = Measure(scorer, options, video, dir);
                    var (turnFps, _) = Measure(scorer, options with { PrepareAhead = 0 }, video, dir);
                    Console.WriteLine($"{name,-28} detect-every {every}: {fps,7:F1} frames/s ({turnFps:F1} in turn), {found}/{frames} frames with a face; detector {detectMs:F1} ms/frame");
                    table.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {every} | {frames} | {found} | {fps:F1} | {turnFps:F1} | {fps / turnFps:F2}x | {detectMs:F1} |");
                }
            }
            var decodeFps = DecodeFps(video);
            table.AppendLine(CultureInfo.InvariantCulture, $"| (decoding alone) | | {frames} | | {decodeFps:F1} | | | |");
            var body = new StringBuilder();
            body.AppendLine($"`edram video`'s whole path in one process (decode, detect, track, crop, CLAHE, ONNX Runtime in batches of 32, CSV");
            body.AppendLine($"flushed every 32 frames) on a {frames}-frame 640x480 MPEG-4 video at 30 fps of one real face (a muxspace photo, 200x200,");
            body.AppendLine("moving across a grey frame), with the shipped model (mirror-averaged: two network passes per face). Timed after a");
            body.AppendLine("60-frame warm-up, model load excluded; the detector column times the chain alone on 90 frames. Goal: >= 60 frames/s");
            body.AppendLine("with `--detect-every 3` and the default detector. The next chunk of 32 frames is decoded, detected and cropped on a");
            body.AppendLine("thread of its own while ONNX Runtime scores this one; the \"in turn\" column is the same run without that overlap");
            body.AppendLine("(`VideoOptions.PrepareAhead = 0`, what `--threads 1` does), measured right after it.");
            body.AppendLine();
            body.Append(table);
            body.AppendLine();
            var load = BenchmarkDocs.LoadAverage();
            body.AppendLine($"Load average (1 min) at the end: {load}; above the core count means other work shared the machine.");
            if (double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) && l > 2 * Environment.ProcessorCount)
                body.AppendLine("This run shared the cores with far more work than they have, so the rows measure the share this process got, not the code: the goal is judged on an idle machine (run the command again there).");
            body.AppendLine($"Machine: {Environment.ProcessorCount} logical cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), .NET {Environment.Version}, OpenCV {Cv2.GetVersionString()}, ONNX Runtime CPU.");
            body.AppendLine($"Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `{Command}` (`--frames N`, `--data DIR`, `--no-write`).");
            if (write) Console.WriteLine($"wrote {BenchmarkDocs.ReplaceSection("## Video", body.ToString())}");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (double FramesPerSecond, long Found) Measure(EdramScorer scorer, VideoOptions options, string video, string dir)
    {
        using var analyzer = new VideoAnalyzer(scorer, options);
        var warm = analyzer.Analyze(video).Take(60).Count();
        var output = Path.Combine(dir, "frames.csv");
        var watch = Stopwatch.StartNew();
        if (!new VideoCsvRun(analyzer).Run([new VideoInput(video, video)], output, "bench", false, null, CancellationToken.None))
            throw new InvalidOperationException("benchmark run was interrupted");
        watch.Stop();
        var rows = VideoRow.Read(output, analyzer.Labels).ToList();
        return (rows.Select(r => r.FrameIndex).Distinct().Count() / watch.Elapsed.TotalSeconds, rows.Count(r => r.Status == VideoCsv.Ok));
    }

    /// <summary>Frames/s of decoding alone: the floor under every row above.</summary>
    private static double DecodeFps(string video)
    {
        using var source = VideoSource.Open(video);
        using var frame = new Mat();
        var watch = Stopwatch.StartNew();
        var n = 0;
        while (source.Read(frame)) n++;
        return n / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Milliseconds per frame of the detector chain alone, over the first 90 frames (after 10 for warm-up).</summary>
    private static double DetectorMs(PreprocessOptions preprocess, string video)
    {
        using var source = VideoSource.Open(video);
        using var detector = new FaceDetectionChain(preprocess);
        using var frame = new Mat();
        var frames = new List<Mat>();
        while (frames.Count < 100 && source.Read(frame)) frames.Add(frame.Clone());
        foreach (var f in frames.Take(10)) detector.Detect(f, 8);
        var watch = Stopwatch.StartNew();
        foreach (var f in frames.Skip(10)) detector.Detect(f, 8);
        var ms = watch.Elapsed.TotalMilliseconds / (frames.Count - 10);
        foreach (var f in frames) f.Dispose();
        return ms;
    }

    private static void WriteVideo(string path, string photo, int frames)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("mp4v"), 30, new Size(640, 480));
        using var face = Cv2.ImRead(photo, ImreadModes.Color);
        for (var i = 0; i < frames; i++)
        {
            using var frame = new Mat(new Size(640, 480), MatType.CV_8UC3, new Scalar(128, 128, 128));
            var place = new Rect(60 + (i % 120) * 3, 140, 200, 200); // sways right over 4 s, then jumps back
            using (var roi = new Mat(frame, place)) Cv2.Resize(face, roi, place.Size, 0, 0, InterpolationFlags.Area);
            writer.Write(frame);
        }
    }
}
