using System.ComponentModel;
using EdramFer.Cli.Scoring;
using EdramFer.ML;
using EdramFer.ML.Quantization;
using EdramFer.Vision;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram quantize</c>: an int8 copy of an exported model (<see cref="EdramQuantizer"/>), calibrated on the images of a
/// CSV preprocessed as the model's metadata says, and its agreement with the float model on those faces.
/// Exit codes: 0 written, 1 refused (the message says why).
/// </summary>
public sealed class QuantizeCommand(IAnsiConsole console) : Command<QuantizeCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--calibration <CSV>"), Description("CSV of calibration images (a few hundred validation images; relative paths resolve against the CSV's folder)")]
        public string Calibration { get; init; } = "";
        [CommandOption("--image-column <NAME>"), DefaultValue("path"), Description("Column holding the image paths")]
        public string ImageColumn { get; init; } = "path";
        [CommandOption("--max-images <N>"), DefaultValue(500), Description("Calibrate on at most N images, spread evenly over the CSV")]
        public int MaxImages { get; init; } = 500;
        [CommandOption("--keep-float <LIST>"), Description("Comma-separated node-name parts whose layers stay float (default: /sensor/,/emission/,/where; none: quantize all)")]
        public string? KeepFloat { get; init; }
        [CommandOption("--output <FILE>"), Description("The int8 model (.onnx)")]
        public string Output { get; init; } = "";

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Calibration)) return ValidationResult.Error("--calibration is required (a CSV of images)");
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the int8 .onnx)");
            if (MaxImages < 1) return ValidationResult.Error($"--max-images must be >= 1, got {MaxImages}");
            if (Model.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return ValidationResult.Error("--model must be an .onnx model, not a pipeline zip");
            if (Path.GetFullPath(Model) == Path.GetFullPath(Output)) return ValidationResult.Error("--output must differ from --model");
            return base.Validate();
        }

        public IReadOnlyList<string> KeepFloatParts() => KeepFloat switch
        {
            null => QuantizeOptions.DefaultKeepFloat,
            "none" => [],
            _ => KeepFloat.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        };
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        var info = EdramModelInfo.Read(s.Model);
        var faces = CalibrationFaces(s, info, out var skipped);
        if (faces.Count == 0) throw new InvalidDataException($"'{s.Calibration}': none of its images gave a face to calibrate on ({skipped} without one)");
        var report = EdramQuantizer.Quantize(s.Model, faces, s.Output, new QuantizeOptions { KeepFloat = s.KeepFloatParts() });
        var parity = QuantizationParity.Compare(s.Model, report.Output, faces);
        var table = new Table().AddColumns("", "");
        table.AddRow("calibration faces", $"{faces.Count:N0}{(skipped > 0 ? $" ({skipped:N0} images without a face left out)" : "")}");
        table.AddRow("layers on integers", $"{report.QuantizedLayers} (float: {report.FloatLayers}; batch norms folded first: {report.FoldedBatchNorms})");
        table.AddRow("size", $"{new FileInfo(s.Model).Length / 1048576.0:F1} MB → {new FileInfo(report.Output).Length / 1048576.0:F1} MB");
        table.AddRow("same label as float", $"{parity.Agreement:P2} of {parity.Images:N0} faces");
        table.AddRow("probability difference", $"max {parity.MaxAbsDifference:F4}, mean {parity.MeanAbsDifference:F5}");
        console.Write(table);
        console.MarkupLine($"Wrote {report.Output.EscapeMarkup()}. Measure its accuracy with edram evaluate (for FER2013 crops: --detector none).");
        return 0;
    }

    /// <summary>At most --max-images rows spread evenly over the CSV, preprocessed in parallel; rows without a face are counted.</summary>
    private static List<byte[]> CalibrationFaces(Settings s, EdramModelInfo info, out int skipped)
    {
        var rows = new List<string>();
        using (var csv = new CsvInput(s.Calibration, s.ImageColumn))
            while (csv.Next() is { } row)
                if (row.PathError is null) rows.Add(row.ResolvedPath);
        var step = Math.Max(1.0, rows.Count / (double)s.MaxImages);
        var chosen = Enumerable.Range(0, Math.Min(s.MaxImages, rows.Count)).Select(i => rows[(int)(i * step)]).ToList();
        using var preprocessor = new FacePreprocessor(s.ToPreprocessOptions(info.Preprocess));
        var results = preprocessor.ProcessFiles(chosen);
        skipped = results.Count(r => !r.HasPixels);
        return results.Where(r => r.HasPixels).Select(r => r.Pixels!).ToList();
    }
}
