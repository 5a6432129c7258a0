using EdramFer.Cli.Commands;
using EdramFer.CommandLine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli;

/// <summary>
/// The <c>edram</c> command set (scoring, evaluation, analysis; no TorchSharp), configured once for Program and for
/// in-process tests (CommandAppTester). Training and export are <c>edram-train</c>'s.
/// </summary>
public static class EdramApp
{
    /// <summary>The tool's name and command assembly.</summary>
    public static readonly ToolApp Tool = new("edram", typeof(EdramApp).Assembly)
    {
        OtherToolCommands = new Dictionary<string, string> { ["train"] = "edram-train", ["export"] = "edram-train" },
    };

    /// <summary>Registers every command on top of the shared configuration (<see cref="ToolApp.Configure"/>).</summary>
    public static void Configure(IConfigurator config, IAnsiConsole console, string[] args)
    {
        Tool.Configure(config, console, args);
        config.AddCommand<ScoreCommand>("score").WithDescription("Score the images of a CSV with an ONNX model or a pipeline zip (resumable).");
        config.AddCommand<EvaluateCommand>("evaluate").WithDescription("Score a labelled CSV and report ML.NET multiclass metrics (and valence/arousal RMSE, CCC).");
        config.AddCommand<PipelineCommand>("pipeline").WithDescription("Save the end-to-end ML.NET pipeline (preprocess + ApplyEdram) as a zip.");
        config.AddCommand<HeatmapCommand>("heatmap").WithDescription("Glimpse heat maps, first-glimpse statistics and region shares per class (PNG + CSV).");
        config.AddCommand<ScanpathCommand>("scanpath").WithDescription("Draw one image's glimpse sequence with the prediction after each step.");
        config.AddCommand<QuantizeCommand>("quantize").WithDescription("Write an int8 copy of an .onnx model, calibrated on a CSV of images, and compare it with the float model.");
        config.AddCommand<MergeCommand>("merge").WithDescription("Join the outputs of score --shard K/N into the output of one run over every row.");
        config.AddCommand<ServeCommand>("serve").WithDescription("Serve the model over HTTP (JSON API with batching, limits and metrics) with a web page that shows the glimpses.");
        config.AddCommand<VideoCommand>("video").WithDescription("Per-frame, per-face emotions of a video (or a CSV of videos) with tracks (resumable).");
    }
}
