using EdramFer.Cli.Commands;
using Spectre.Console.Cli;

// Exit codes: 0 success, 1 the run failed (bad arguments, unreadable model, I/O error), 2 interrupted (Ctrl-C; state saved).
// The commands parallelise preprocessing across images; OpenCV's own worker threads would only compete with them.
OpenCvSharp.Cv2.SetNumThreads(1);
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("edram");
    config.AddCommand<ExportCommand>("export").WithDescription("Export a checkpoint to ONNX (unrolled, checked against TorchSharp).");
    config.AddCommand<ScoreCommand>("score").WithDescription("Score the images of a CSV with an ONNX model or a pipeline zip (resumable).");
    config.AddCommand<EvaluateCommand>("evaluate").WithDescription("Score a labelled CSV and report ML.NET multiclass metrics (and valence/arousal RMSE, CCC).");
    config.AddCommand<PipelineCommand>("pipeline").WithDescription("Save the end-to-end ML.NET pipeline (preprocess + ApplyEdram) as a zip.");
    config.AddCommand<HeatmapCommand>("heatmap").WithDescription("Glimpse heat maps, first-glimpse statistics and region shares per class (PNG + CSV).");
    config.AddCommand<ScanpathCommand>("scanpath").WithDescription("Draw one image's glimpse sequence with the prediction after each step.");
    config.AddCommand<VideoCommand>("video").WithDescription("Per-frame, per-face emotions of a video (or a CSV of videos) with tracks (resumable).");
    config.AddCommand<TrainCommand>("train").WithDescription("Train EDRAM on FER2013, AffectNet, a CSV or class folders.");
});
return app.Run(args);
