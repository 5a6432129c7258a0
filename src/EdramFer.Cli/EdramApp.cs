using EdramFer.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli;

/// <summary>The <c>edram</c> command set, configured once for Program and for in-process tests (CommandAppTester).</summary>
public static class EdramApp
{
    /// <summary>
    /// Registers every command, strict option parsing and the one error-to-exit-code mapping (<see cref="CliErrors"/>).
    /// <paramref name="console"/> receives argument errors, which Spectre reports before it has built the commands;
    /// commands get their console injected.
    /// </summary>
    public static void Configure(IConfigurator config, IAnsiConsole console, string[] args)
    {
        config.SetApplicationName("edram");
        // A mistyped option must not silently fall back to a default: unknown options are errors.
        config.UseStrictParsing();
        config.SetExceptionHandler((e, resolver) => CliErrors.Handle(resolver?.Resolve(typeof(IAnsiConsole)) as IAnsiConsole ?? console, e, args));
        config.AddCommand<ExportCommand>("export").WithDescription("Export a checkpoint to ONNX (unrolled, checked against TorchSharp).");
        config.AddCommand<ScoreCommand>("score").WithDescription("Score the images of a CSV with an ONNX model or a pipeline zip (resumable).");
        config.AddCommand<EvaluateCommand>("evaluate").WithDescription("Score a labelled CSV and report ML.NET multiclass metrics (and valence/arousal RMSE, CCC).");
        config.AddCommand<PipelineCommand>("pipeline").WithDescription("Save the end-to-end ML.NET pipeline (preprocess + ApplyEdram) as a zip.");
        config.AddCommand<HeatmapCommand>("heatmap").WithDescription("Glimpse heat maps, first-glimpse statistics and region shares per class (PNG + CSV).");
        config.AddCommand<ScanpathCommand>("scanpath").WithDescription("Draw one image's glimpse sequence with the prediction after each step.");
        config.AddCommand<VideoCommand>("video").WithDescription("Per-frame, per-face emotions of a video (or a CSV of videos) with tracks (resumable).");
        config.AddCommand<TrainCommand>("train").WithDescription("Train EDRAM on FER2013, AffectNet, a CSV or class folders.");
    }
}
