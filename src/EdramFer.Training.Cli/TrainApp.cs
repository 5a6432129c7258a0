using EdramFer.CommandLine;
using EdramFer.Training.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Training.Cli;

/// <summary>
/// The <c>edram-train</c> command set (TorchSharp): training and export to ONNX, configured once for Program and for
/// in-process tests. Scoring the exported models is <c>edram</c>'s.
/// </summary>
public static class TrainApp
{
    /// <summary>The tool's name and command assembly.</summary>
    public static readonly ToolApp Tool = new("edram-train", typeof(TrainApp).Assembly)
    {
        OtherToolCommands = new[] { "score", "evaluate", "pipeline", "heatmap", "scanpath", "video", "merge", "serve" }.ToDictionary(c => c, _ => "edram"),
    };

    /// <summary>Registers both commands on top of the shared configuration (<see cref="ToolApp.Configure"/>).</summary>
    public static void Configure(IConfigurator config, IAnsiConsole console, string[] args)
    {
        Tool.Configure(config, console, args);
        config.AddCommand<TrainCommand>("train").WithDescription("Train EDRAM on FER2013, AffectNet, a CSV or class folders.");
        config.AddCommand<ExportCommand>("export").WithDescription("Export a checkpoint to ONNX (unrolled, checked against TorchSharp).");
        config.AddCommand<SplitsCommand>("splits").WithDescription("List a dataset's images with the split training uses for each (train, validation, test) as a CSV.");
    }
}
