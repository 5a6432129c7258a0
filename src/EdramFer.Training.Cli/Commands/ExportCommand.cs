using System.ComponentModel;
using EdramFer.Training.Model;
using EdramFer.Training.Onnx;
using EdramFer.Training.Train;
using EdramFer.CommandLine;
using EdramFer.Vision;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Training.Cli.Commands;

/// <summary>
/// <c>edram export</c>: writes a checkpoint as an unrolled ONNX model, checks it against TorchSharp with ONNX Runtime and
/// prints the measured differences. Exit codes: 0 written and within tolerance, 1 bad arguments, unreadable checkpoint or
/// failed parity (no file is left behind).
/// </summary>
public sealed class ExportCommand(IAnsiConsole console) : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <PATH>"), Description("Checkpoint file or run folder (checkpoints/best.ckpt, else last.ckpt)")]
        public string? Checkpoint { get; init; }
        [CommandOption("--output <PATH>"), Description("The .onnx file to write")]
        public string Output { get; init; } = "";
        [CommandOption("--opset <N>"), DefaultValue(17), Description("ONNX opset, 16 (first with GridSample) to 21")]
        public int Opset { get; init; } = 17;
        [CommandOption("--batch-norm-nodes"), Description("Emit BatchNormalization nodes instead of folding batch norm (smaller file)")]
        public bool BatchNormNodes { get; init; }
        [CommandOption("--flip-averaging"), Description("Test-time augmentation in the graph: average the outputs for the image and its mirror (2x compute)")]
        public bool FlipAveraging { get; init; }
        [CommandOption("--weights-only <PATH>"), Description("Also write a weights-only checkpoint (no optimiser state, no machine paths)")]
        public string? WeightsOnly { get; init; }
        [CommandOption("--random <PRESET>"), Description("No checkpoint: export seeded random weights of this preset (paper | cpu) for testing consumers")]
        public string? RandomPreset { get; init; }
        [CommandOption("--labels <LIST>"), DefaultValue("angry,disgust,fear,happy,neutral,sad,surprise"), Description("Class names for --random")]
        public string Labels { get; init; } = "angry,disgust,fear,happy,neutral,sad,surprise";
        [CommandOption("--seed <N>"), DefaultValue(1), Description("Seed for --random")]
        public int Seed { get; init; } = 1;
        [CommandOption("--inference-detector <CHAIN>"),
         Description("Detector chain recorded in the model for scoring raw photos (ssd, yunet, haar, none). Default: the training run's. " +
                     "A model trained on face crops (--detector none) needs one to score uncropped photos.")]
        public string? InferenceDetector { get; init; }
        [CommandOption("--inference-align <HOW>"), Description("Framing recorded in the model for scoring raw photos: none | eyes (eye-aligned crops where the detector gives landmarks)")]
        public string? InferenceAlign { get; init; }
        [CommandOption("--calibrate"), Description("Temperature scaling: fit T on the run's validation split and divide the logits by it in the graph (edram.temperature)")]
        public bool Calibrate { get; init; }
        [CommandOption("--calibration-data <SPEC>"), Description("Dataset whose validation split --calibrate uses (default: the run's own, e.g. fer2013:../shared/data/fer2013)")]
        public string? CalibrationData { get; init; }
        [CommandOption("--cache <DIR>"), Description("Preprocessed-image cache for --calibrate (default: a folder in the system temp)")]
        public string? Cache { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required, e.g. --output onnx/edram-fer2013.onnx");
            if (string.IsNullOrWhiteSpace(Checkpoint) == string.IsNullOrWhiteSpace(RandomPreset))
                return ValidationResult.Error("Give exactly one of --checkpoint <file or run folder> and --random <paper|cpu>");
            if (Opset is < 16 or > 21) return ValidationResult.Error($"--opset must be 16 to 21, got {Opset}");
            if (WeightsOnly != null && Checkpoint == null) return ValidationResult.Error("--weights-only needs --checkpoint");
            if (InferenceAlign is not (null or "none" or "eyes")) return ValidationResult.Error($"--inference-align must be none or eyes, got '{InferenceAlign}'");
            if ((Calibrate || CalibrationData != null) && Checkpoint == null) return ValidationResult.Error("--calibrate needs --checkpoint (a trained model)");
            try { if (InferenceDetector != null) DetectorSettings.ParseChain(InferenceDetector); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        var options = new OnnxExportOptions { Opset = s.Opset, FoldBatchNorm = !s.BatchNormNodes, FlipAveraging = s.FlipAveraging };
        OnnxExportReport report;
        if (s.RandomPreset is { } preset)
        {
            var labels = s.Labels.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            report = EdramOnnxExporter.ExportRandom(s.Output, EdramConfig.FromPreset(preset) with { Classes = labels.Length }, labels, s.Seed, options);
        }
        else
        {
            var path = Training.Train.Checkpoint.Resolve(s.Checkpoint!);
            console.MarkupLine($"Checkpoint [blue]{path.EscapeMarkup()}[/]");
            var (state, model) = Training.Train.Checkpoint.LoadModel(path);
            if (s.Calibrate || s.CalibrationData != null) options = options with { Temperature = Calibrate(s, state, model, cancellation) };
            if (s.InferenceDetector != null) state = WithInferenceDetector(state, DetectorSettings.ParseChain(s.InferenceDetector));
            if (s.InferenceAlign != null) state = WithPreprocess(state, p => p with { Alignment = s.InferenceAlign == "eyes" ? FaceAlignment.Eyes : FaceAlignment.None });
            else if (PreprocessOptions.FromMetadata(state.Options.Preprocess).Detectors.Count == 0)
                console.MarkupLine("[yellow]This model was trained on face crops without detection; scoring raw photos will use whole images " +
                                   "unless you pass --detector, or export with --inference-detector haar.[/]");
            using (model)
            {
                report = EdramOnnxExporter.Export(model, state, s.Output, options);
                if (s.WeightsOnly != null)
                {
                    Training.Train.Checkpoint.SaveForInference(s.WeightsOnly, state, model);
                    console.MarkupLine($"Weights-only checkpoint [blue]{s.WeightsOnly.EscapeMarkup()}[/] ({new FileInfo(s.WeightsOnly).Length / 1e6:F1} MB)");
                }
            }
        }

        var table = new Table().AddColumns("output", "max |onnx − torch|");
        foreach (var (name, diff) in report.Parity.MaxAbsDiff) table.AddRow(name, diff.ToString("E2"));
        console.Write(table);
        console.MarkupLine($"Wrote [green]{report.Path.EscapeMarkup()}[/]: {report.Bytes / 1e6:F1} MB, opset {report.Opset}, {report.Nodes} nodes, " +
                           $"{report.InitializerElements / 1e6:F1} M stored values; parity on {report.Parity.Images} images within 1e-4.");
        return 0;
    }

    /// <summary>The temperature fitted on the validation split the run selected its epochs on (its training preprocessing).</summary>
    double Calibrate(Settings s, TrainState state, EdramNet model, CancellationToken cancel)
    {
        var cache = s.Cache ?? Path.Combine(Path.GetTempPath(), "edram-calibration-cache");
        var set = TemperatureFit.ValidationSet(state, s.CalibrationData, cache, cancel);
        var t = TemperatureFit.Fit(model, set, s.FlipAveraging, cancel: cancel);
        console.MarkupLine($"Temperature [green]{t:0.###}[/] fitted on {set.Count:N0} validation images{(s.FlipAveraging ? " (both branches)" : "")}");
        return t;
    }

    /// <summary>The state with its recorded preprocessing switched to <paramref name="chain"/> (no face: rejected, no label).</summary>
    static TrainState WithInferenceDetector(TrainState state, IReadOnlyList<DetectorKind> chain) => WithPreprocess(state, p => p with
    {
        Detectors = chain,
        NoFacePolicy = chain.Count == 0 ? NoFacePolicy.WholeImage : NoFacePolicy.Reject,
    });

    /// <summary>The state with its recorded preprocessing changed by <paramref name="change"/>.</summary>
    static TrainState WithPreprocess(TrainState state, Func<PreprocessOptions, PreprocessOptions> change)
    {
        var pre = change(PreprocessOptions.FromMetadata(state.Options.Preprocess));
        return state with { Options = state.Options with { Preprocess = new Dictionary<string, string>(pre.ToMetadata()) } };
    }
}
