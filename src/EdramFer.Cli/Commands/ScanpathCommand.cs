using EdramFer.ML;
using EdramFer.CommandLine;
using System.ComponentModel;
using EdramFer.Analysis;
using EdramFer.Vision;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram scanpath</c>: one image, its glimpses drawn in order over the crop the model saw, and the prediction after
/// every step (the paper's Fig. 4), as a PNG plus a table on the console. Exit codes: 0 done, 1 failed.
/// </summary>
public sealed class ScanpathCommand(IAnsiConsole console) : Command<ScanpathCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--image <FILE>"), Description("The image (any common format; the face is detected and cropped as the model's preprocessing says)")]
        public string Image { get; init; } = "";
        [CommandOption("--output <PNG>"), Description("Output PNG (default: <image name>.scanpath.png in the current folder)")]
        public string? Output { get; init; }

        public override ValidationResult Validate()
        {
            if (Model.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return ValidationResult.Error("--model must be an .onnx model (a pipeline .zip has no glimpses output)");
            if (string.IsNullOrWhiteSpace(Image)) return ValidationResult.Error("--image is required");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        var (device, fallback) = s.ParseGpu();
        using var scorer = GlimpseScorer.Load(s.Model, device, fallback);
        using var preprocessor = new FacePreprocessor(s.ToPreprocessOptions(scorer.Info.Preprocess));
        var pre = preprocessor.ProcessFile(s.Image);
        if (!pre.HasPixels) throw new InvalidDataException(pre.Message);
        var trace = scorer.Score([pre])[0]!;
        var labels = scorer.Info.Labels;
        var output = s.Output ?? Path.GetFileNameWithoutExtension(s.Image) + ".scanpath.png";
        var title = $"{Path.GetFileName(s.Image)} - {Path.GetFileName(s.Model)}{(scorer.IsRandomWeights ? " [RANDOM WEIGHTS]" : "")}";
        using (var image = AttentionRenderer.Scanpath(trace, labels, title, scorer.AlignCorners)) Charts.Save(image, output);

        console.MarkupLine(pre.Message.EscapeMarkup());
        var table = new Table().AddColumns("step", "centre (x, y)", "box w x h", "scale", "off-image", "prediction", "p");
        for (var t = 0; t < trace.Steps; t++)
        {
            var box = GlimpseGeometry.ToPixelBox(trace.Theta(t), scorer.Info.InputSize, scorer.AlignCorners);
            var p = trace.PredictedAt(t);
            var scale = GlimpseStepAccumulator.EffectiveScale(trace.Theta(t));
            var off = GlimpseStepAccumulator.OffImageShare(trace.Theta(t), scorer.Info.InputSize, scorer.AlignCorners);
            table.AddRow($"{t + 1}", $"({box.CenterX:0.0}, {box.CenterY:0.0})", $"{box.Width:0.0} x {box.Height:0.0}", $"{scale:0.000}", $"{100 * off:0.0} %",
                p < 0 ? "-" : labels[p].EscapeMarkup(), p < 0 ? "-" : $"{trace.StepProbabilitiesOf(t)[p]:0.000}");
        }
        console.Write(table);
        var final = trace.Predicted;
        console.MarkupLine($"final: {(final < 0 ? "-" : labels[final].EscapeMarkup())}; wrote {Path.GetFullPath(output).EscapeMarkup()}");
        return 0;
    }
}
