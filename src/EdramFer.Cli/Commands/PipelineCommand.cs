using EdramFer.CommandLine;
using System.ComponentModel;
using EdramFer.ML;
using Microsoft.ML;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram pipeline</c>: saves the fitted end-to-end ML.NET pipeline (PreprocessFace on a <c>path</c> column, then
/// ApplyEdram) as a zip that <c>edram score --model x.zip</c> and <c>mlContext.Model.LoadEdram</c> read. The zip refers to
/// the .onnx by its path relative to the zip's folder and its SHA-256 (see <see cref="EdramScoringOptions.PipelineFolder"/>). Exit codes: 0 saved, 1 failed.
/// </summary>
public sealed class PipelineCommand(IAnsiConsole console) : Command<PipelineCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--output <ZIP>"), Description("Pipeline zip to write, e.g. pipelines/edram.zip")]
        public string Output { get; init; } = "";

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the pipeline .zip)");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        var gpu = s.ParseGpu();
        var output = Path.GetFullPath(s.Output);
        var ml = new MLContext(seed: 0);
        var scoring = ml.Transforms.ApplyEdram(new EdramScoringOptions
        {
            ModelFile = s.Model, InputColumnName = "Face", GpuDeviceId = gpu.Device, FallbackToCpu = gpu.Fallback,
            PipelineFolder = Path.GetDirectoryName(output), // the zip refers to the model relative to itself
        });
        var preprocess = s.ToPreprocessOptions(scoring.ModelInfo.Preprocess);
        var pipeline = ml.Transforms.PreprocessFace(new FaceCroppingOptions
        {
            OutputColumnName = "Face", InputColumnName = "path", Preprocess = preprocess, PipelineFolder = Path.GetDirectoryName(output),
        }).Append(scoring);
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<PathRow>());
        var model = pipeline.Fit(empty);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var temp = output + ".tmp";
        ml.Model.Save(model, empty.Schema, temp);
        File.Move(temp, output, overwrite: true);
        var reference = EdramPipeline.FindScoring(ml, model).Single().ModelPath;
        console.MarkupLine($"Saved {output.EscapeMarkup()}: PreprocessFace (detectors {string.Join(",", preprocess.Detectors).EscapeMarkup()}) + ApplyEdram " +
                               $"({string.Join(", ", scoring.ModelInfo.Labels).EscapeMarkup()}). The zip refers to the model as '{reference.EscapeMarkup()}' " +
                               (Path.IsPathRooted(reference)
                                   ? $"by absolute path, as it shares no folder with the zip; elsewhere, put it next to the zip or set {EdramPipeline.ModelFolderVariable}"
                                   : "relative to itself: move the two together") +
                               "; its SHA-256 is checked on load.");
        return 0;
    }

    private sealed class PathRow
    {
        public string path { get; set; } = "";
    }
}
