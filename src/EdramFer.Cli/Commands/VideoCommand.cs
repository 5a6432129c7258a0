using EdramFer.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EdramFer.Cli.Scoring;
using EdramFer.ML;
using EdramFer.Video;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram video</c>: per-frame, per-face emotions of a video file (or a CSV of video paths) into a CSV, with track ids,
/// optional smoothing, a sidecar JSON with every option and a summary per video, figures and an annotated copy.
/// Ctrl-C or SIGTERM stops at the next chunk (exit 2); <c>--resume</c> continues to a byte-identical table.
/// </summary>
public sealed class VideoCommand(IAnsiConsole console) : Command<VideoCommand.Settings>
{
    public sealed class Settings : ModelRunSettings
    {
        [CommandOption("--output <CSV>"), Description("Frames CSV (written atomically); options and summaries go to <output>.json")]
        public string Output { get; init; } = "";
        [CommandOption("--resume"), Description("Continue from <output>.partial after an interrupted run")]
        public bool Resume { get; init; }
        [CommandOption("--every <K>"), DefaultValue(1), Description("Score every k-th frame")]
        public int Every { get; init; } = 1;
        [CommandOption("--fps <F>"), Description("Score at F frames per second instead (the first frame at or after each 1/F s)")]
        public double? Fps { get; init; }
        [CommandOption("--detect-every <K>"), DefaultValue(1), Description("Run the detector on every k-th scored frame; tracks carry the boxes in between")]
        public int DetectEvery { get; init; } = 1;
        [CommandOption("--max-faces <N>"), DefaultValue(8), Description("Faces per frame, largest first")]
        public int MaxFaces { get; init; } = 8;
        [CommandOption("--track-iou <X>"), DefaultValue(0.3), Description("Minimum box overlap (IoU) that continues a track")]
        public double TrackIou { get; init; } = 0.3;
        [CommandOption("--track-gap <N>"), DefaultValue(5), Description("Detection passes a track may miss and continue")]
        public int TrackGap { get; init; } = 5;
        [CommandOption("--smooth <KIND>"), DefaultValue("none"), Description("Smoothing of each track's probabilities: none, ema or window (raw scores stay in score_<class>)")]
        public string Smooth { get; init; } = "none";
        [CommandOption("--smooth-alpha <A>"), DefaultValue(0.3), Description("EMA weight of the newest frame")]
        public double SmoothAlpha { get; init; } = 0.3;
        [CommandOption("--smooth-window <N>"), DefaultValue(5), Description("Frames averaged by window smoothing")]
        public int SmoothWindow { get; init; } = 5;
        [CommandOption("--plot"), Description("Write <output>.<video>.png: each track's class probabilities over time")]
        public bool Plot { get; init; }
        [CommandOption("--annotate <MP4>"), Description("Write an annotated copy of the video (boxes, labels, glimpse scan paths); one video only")]
        public string? Annotate { get; init; }
        [CommandOption("--chunk-frames <N>", IsHidden = true), DefaultValue(32), Description("Sampled frames per checkpoint")]
        public int ChunkFrames { get; init; } = 32;

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the frames CSV)");
            if (IsPipeline) return ValidationResult.Error("--model: edram video takes an .onnx model, not a pipeline .zip");
            if (Fps is not null && Every != 1) return ValidationResult.Error("--every and --fps are exclusive");
            if (NoFace is not null) return ValidationResult.Error("--no-face does not apply to edram video: a frame without a face is a no_face row");
            if (Annotate is not null && IsBatch) return ValidationResult.Error("--annotate takes one video, not a CSV of videos");
            try { ToOptions(new Vision.PreprocessOptions()).Validate(); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return base.Validate();
        }

        /// <summary>True when --input is a CSV of video paths.</summary>
        public bool IsBatch => Input.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

        public VideoOptions ToOptions(Vision.PreprocessOptions preprocess) => new()
        {
            Preprocess = preprocess, Every = Every, Fps = Fps, DetectEvery = DetectEvery, MaxFaces = MaxFaces, TrackIou = TrackIou,
            TrackGap = TrackGap, SmoothingAlpha = SmoothAlpha, SmoothingWindow = SmoothWindow, ChunkFrames = ChunkFrames, BatchSize = BatchSize,
            // One thread asked for: locate and score in turn instead of overlapping them.
            PrepareAhead = Threads == 1 ? 0 : 1,
            Smoothing = Smooth.ToLowerInvariant() switch
            {
                "none" => SmoothingKind.None,
                "ema" => SmoothingKind.Ema,
                "window" => SmoothingKind.Window,
                _ => throw new ArgumentException($"Unknown --smooth '{Smooth}': expected none, ema or window."),
            },
        };
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CancellableRun.Execute(cancellation, signals => Run(s, console, signals.Token));

    private static int Run(Settings s, IAnsiConsole console, CancellationToken cancel)
    {
        var output = Path.GetFullPath(s.Output);
        // Frames are processed one at a time, so OpenCV's own threads (detection) no longer compete with per-image workers.
        OpenCvSharp.Cv2.SetNumThreads(s.Threads > 0 ? s.Threads : Environment.ProcessorCount);
        var videos = Videos(s);
        if (!s.IsBatch) VideoSource.Open(videos[0].Path).Dispose(); // one video: a bad file is the command's error (exit 1)
        var (device, fallback) = s.ParseGpu();
        using var scorer = EdramScorer.Load(s.Model, device, fallback, s.Threads);
        using var analyzer = new VideoAnalyzer(scorer, s.ToOptions(s.Preprocess(scorer.Info)));
        var identity = JsonSerializer.Serialize(new
        {
            input = InputIdentity(s.Input), model = scorer.Info.Sha256, options = analyzer.Options.ToMetadata(), videos,
        });
        var totals = videos.Select(v => DeclaredFrames(v.Path)).ToArray();
        console.MarkupLine($"Scoring {videos.Count} video(s), {totals.Sum():N0} frames, detector {analyzer.DetectorChain.EscapeMarkup()}, on {scorer.Device.Name.EscapeMarkup()}");
        var watch = Stopwatch.StartNew();
        var completed = false;
        long startFrames = -1;
        console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("video", maxValue: Math.Max(1, totals.Sum()));
                var progress = new SyncProgress<VideoProgress>(p =>
                {
                    var done = totals.Take(p.Video).Sum() + (p.FramesDone < 0 ? totals[p.Video] : p.FramesDone);
                    if (startFrames < 0) startFrames = done;
                    task.Value = Math.Min(task.MaxValue, done);
                    var rate = (done - startFrames) / Math.Max(1e-3, watch.Elapsed.TotalSeconds);
                    task.Description = $"video {p.Video + 1}/{videos.Count}: {done:N0}/{totals.Sum():N0} frames ({rate:F1} frames/s)";
                });
                completed = new VideoCsvRun(analyzer).Run(videos, output, identity, s.Resume, progress, cancel,
                    message => console.MarkupLine($"[yellow]{message.EscapeMarkup()}[/]"));
            });
        if (!completed)
        {
            console.MarkupLine($"[yellow]Interrupted; {Path.GetFileName(output).EscapeMarkup()}.partial kept. Run again with --resume.[/]");
            return 2;
        }
        return Finish(s, console, output, scorer, analyzer, videos, watch);
    }

    private static int Finish(Settings s, IAnsiConsole console, string output, EdramScorer scorer, VideoAnalyzer analyzer,
        IReadOnlyList<VideoInput> videos, Stopwatch watch)
    {
        var files = new List<string>();
        if (s.Plot) files.AddRange(VideoReports.WritePlots(output, analyzer.Labels));
        if (s.Annotate is { } annotate)
        {
            VideoAnnotator.Write(videos[0].Path, VideoRow.Read(output, analyzer.Labels), scorer, analyzer.Options.Preprocess, annotate);
            files.Add(Path.GetFullPath(annotate));
        }
        var summaries = VideoSummary.FromTable(output, analyzer.Labels);
        var model = new { path = scorer.Info.Path, sha256 = scorer.Info.Sha256, labels = scorer.Info.Labels, device = scorer.Device.Name };
        var sidecar = VideoReports.WriteSidecar(output, model, analyzer, videos, summaries, files);
        var table = new Table().AddColumns("video", "frames", "faces", "no face", "tracks (dominant emotion)", "seconds per label");
        foreach (var v in summaries)
        {
            var tracks = v.Error ?? string.Join(", ", v.Tracks.Select(t => $"#{t.Id} {t.Dominant} ({t.Frames})"));
            var time = string.Join(", ", v.SecondsPerLabel.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value.ToString("0.##", CultureInfo.InvariantCulture)}"));
            table.AddRow(Path.GetFileName(v.Video).EscapeMarkup(), v.SampledFrames.ToString("N0"), v.Faces.ToString("N0"), v.NoFaceFrames.ToString("N0"),
                tracks.EscapeMarkup(), time.EscapeMarkup());
        }
        console.Write(table);
        foreach (var f in files) console.MarkupLine($"Wrote {f.EscapeMarkup()}");
        console.MarkupLine($"Wrote {output.EscapeMarkup()} and {sidecar.EscapeMarkup()} in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>The videos: the one file, or every row of the CSV (relative paths against the CSV's folder).</summary>
    private static IReadOnlyList<VideoInput> Videos(Settings s)
    {
        if (!s.IsBatch) return [new VideoInput(s.Input, Path.GetFullPath(s.Input))];
        var videos = new List<VideoInput>();
        using var csv = new CsvInput(Path.GetFullPath(s.Input), s.ImageColumn);
        while (csv.Next() is { } row) videos.Add(new VideoInput(row.Path, row.ResolvedPath));
        if (videos.Count == 0) throw new InvalidDataException($"'{s.Input}' lists no videos");
        return videos;
    }

    private static string InputIdentity(string input)
    {
        var info = new FileInfo(input);
        return info.Exists ? $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}" : input;
    }

    /// <summary>Frames a video declares, for the progress bar; 0 for a file that does not open (its error row comes later).</summary>
    private static long DeclaredFrames(string path)
    {
        try
        {
            using var source = VideoSource.Open(path);
            return source.DeclaredFrames;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return 0;
        }
    }
}
