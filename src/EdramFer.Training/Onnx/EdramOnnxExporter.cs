using System.Globalization;
using System.Text.Json;
using EdramFer.Contracts;
using EdramFer.Training.Model;
using EdramFer.Training.Train;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Keys = EdramFer.Contracts.OnnxContract.Metadata;

namespace EdramFer.Training.Onnx;

/// <summary>
/// Exports <see cref="EdramNet"/> to ONNX (TorchSharp has no exporter): the network unrolled over its T steps in eval
/// mode, dynamic batch N, with the metadata a consumer needs. Every export is loaded back with ONNX Runtime and
/// compared with TorchSharp; a difference above <see cref="OnnxExportOptions.Tolerance"/> throws (the comparison:
/// EdramOnnxExporter.Parity.cs).
/// </summary>
/// <remarks>
/// Contract (DESIGN §3): input <c>image</c> float32 [N,1,S,S] = pixels/255 after preprocessing; outputs
/// <c>probabilities</c> [N,C] (softmax of the last step), <c>valence_arousal</c> [N,2] (last step),
/// <c>glimpses</c> [N,T,6] (θ per step) and <c>step_probabilities</c> [N,T,C].
/// </remarks>
public static partial class EdramOnnxExporter
{

    /// <summary>Exports <paramref name="model"/> with default options except the opset; see <see cref="Export(EdramNet, TrainState?, string, OnnxExportOptions)"/>.</summary>
    public static OnnxExportReport Export(EdramNet model, TrainState? state, string path, int opset = 17) =>
        Export(model, state, path, new OnnxExportOptions { Opset = opset });

    /// <summary>
    /// Writes <paramref name="model"/> (eval statistics) to <paramref name="path"/>, loads it back with ONNX Runtime and
    /// checks every output against TorchSharp. <paramref name="state"/> supplies labels, preprocessing and accuracy
    /// metadata (null: labels class0…). Throws <see cref="InvalidDataException"/> with the differences when parity fails;
    /// nothing is written then (an existing file at <paramref name="path"/> is kept). The model's train/eval mode is restored.
    /// </summary>
    public static OnnxExportReport Export(EdramNet model, TrainState? state, string path, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Opset is < 16 or > 21)
            throw new ArgumentOutOfRangeException(nameof(options), options.Opset, "Opset must be 16 (first with GridSample) to 21.");
        // Compared as JSON: the record's arrays (channel lists) compare by reference.
        if (state != null && JsonSerializer.Serialize(state.Config) != JsonSerializer.Serialize(model.Config))
            throw new ArgumentException($"The state's config ({state.Config.Preset}, {state.Config.Steps} steps) is not the model's ({model.Config.Preset}, {model.Config.Steps} steps).", nameof(state));

        bool wasTraining = model.training;
        model.eval();
        try
        {
            if (!(options.Temperature > 0) || !double.IsFinite(options.Temperature))
                throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "Temperature must be a positive number.");
            var graph = EdramGraphWriter.Write(model, options.Opset, options.FoldBatchNorm, options.FlipAveraging, options.Temperature);
            var meta = Metadata(model.Config, state);
            meta[Keys.FlipAveraging] = options.FlipAveraging ? "true" : "false";
            meta[Keys.Temperature] = options.Temperature.ToString("R", CultureInfo.InvariantCulture);
            if (options.FlipAveraging)
            {
                // edram.accuracy is the accuracy of what this graph computes: the mirror-averaged validation, when logged.
                meta.Remove(Keys.Accuracy);
                if (state?.LastValidationFlip is { } flip && state.BestAccuracy >= 0)
                    meta[Keys.Accuracy] = flip.Accuracy.ToString("0.####", CultureInfo.InvariantCulture);
                if (state is { BestAccuracy: >= 0 })
                    meta[Keys.AccuracyWithoutFlip] = state.BestAccuracy.ToString("0.####", CultureInfo.InvariantCulture);
            }
            var doc = $"EDRAM facial expression recogniser ({model.Config.Preset} preset, {model.Config.Steps} glimpses), unrolled; " +
                      "input image [N,1,S,S] = preprocessed grey pixels / 255; outputs probabilities [N,C], valence_arousal [N,2], " +
                      "glimpses [N,T,6] (affine θ per step, PyTorch affine_grid convention), step_probabilities [N,T,C].";
            var onnx = graph.ToModel("edram", IrVersionFor(options.Opset), "EdramFer",
                typeof(EdramOnnxExporter).Assembly.GetName().Version?.ToString() ?? "0", doc, meta);
            options.Tamper?.Invoke(onnx);

            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            // Checked under a temporary name and renamed only when it passes: a failed export neither leaves a file a
            // consumer could pick up nor replaces an earlier good one.
            var tmp = full + ".tmp";
            OnnxParity parity;
            try
            {
                using (var stream = File.Create(tmp)) onnx.WriteTo(stream);
                parity = CheckParity(model, tmp, full, options);
                File.Move(tmp, full, overwrite: true);
            }
            finally
            {
                File.Delete(tmp);
            }
            return new OnnxExportReport(full, new FileInfo(full).Length, options.Opset, graph.NodeCount, graph.InitializerElements, parity);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Loads a checkpoint (file or run folder, see <see cref="Checkpoint.Resolve"/>) and exports it.</summary>
    public static OnnxExportReport ExportCheckpoint(string checkpoint, string path, OnnxExportOptions? options = null)
    {
        var (state, model) = Checkpoint.LoadModel(Checkpoint.Resolve(checkpoint));
        using (model) return Export(model, state, path, options ?? new OnnxExportOptions());
    }

    /// <summary>
    /// Writes a model with seeded random weights, randomised batch-norm statistics and a moving emission network (see
    /// <see cref="CreateRandomModel"/>), checked like any export: for testing consumers before a trained model exists.
    /// Metadata <c>edram.training_data</c> says "none (random weights)".
    /// </summary>
    public static OnnxExportReport ExportRandom(string path, EdramConfig config, string[] labels, int seed, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != config.Classes)
            throw new ArgumentException($"{labels.Length} labels given for a model with {config.Classes} classes.", nameof(labels));
        using var model = CreateRandomModel(config, seed);
        var state = new TrainState { Config = config, Labels = labels };
        return Export(model, state, path, options ?? new OnnxExportOptions());
    }

    /// <summary>
    /// A model whose every weight is drawn from a generator seeded with <paramref name="seed"/> (PyTorch's default
    /// ranges), emission weights away from zero so the glimpses move with the image, and batch-norm running statistics
    /// taken from one seeded batch of <see cref="ParityImages"/> and then perturbed: activations keep their scale through
    /// the unrolled steps, so the later glimpses depend on the image too. In eval mode; the global torch seed is not used.
    /// </summary>
    public static EdramNet CreateRandomModel(EdramConfig config, int seed)
    {
        // Floor of the running variances: a channel that barely varies over the calibration batch (the "where" features of
        // later steps, θ being nearly constant there) would otherwise amplify float rounding by 1/σ and make the random
        // model chaotic, so that TorchSharp itself could not reproduce its outputs from a 1e-7 change of the input.
        const double MinRandomVariance = 0.02;
        var model = new EdramNet(config);
        using var gen = new Generator((ulong)seed);
        var norms = new List<(Tensor? Gamma, Tensor? Beta, Tensor Mean, Tensor Var, Action<double> SetMomentum, double Momentum)>();
        using (no_grad())
        {
            foreach (var (_, module) in model.named_modules())
            {
                switch (module)
                {
                    case Linear or Conv2d:
                        var w = module is Linear l ? l.weight! : ((Conv2d)module).weight!;
                        var b = module is Linear l2 ? l2.bias : ((Conv2d)module).bias;
                        double bound = 1.0 / Math.Sqrt(w.numel() / w.shape[0]);
                        w.uniform_(-bound, bound, gen);
                        b?.uniform_(-bound, bound, gen);
                        break;
                    case LSTMCell cell:
                        double k = 1.0 / Math.Sqrt(cell.weight_hh!.shape[1]);
                        foreach (var p in new[] { cell.weight_ih!, cell.weight_hh!, cell.bias_ih!, cell.bias_hh! }) p.uniform_(-k, k, gen);
                        break;
                    case BatchNorm1d bn1: norms.Add((bn1.weight, bn1.bias, bn1.running_mean!, bn1.running_var!, m => bn1.momentum = m, bn1.momentum ?? 0.1)); break;
                    case BatchNorm2d bn2: norms.Add((bn2.weight, bn2.bias, bn2.running_mean!, bn2.running_var!, m => bn2.momentum = m, bn2.momentum ?? 0.1)); break;
                }
            }
            foreach (var n in norms)
            {
                n.Gamma?.uniform_(0.8, 1.2, gen);
                n.Beta?.normal_(0, 0.1, gen);
            }
            // Emission: weights that move θ by a few tenths between images, around the initial bias (affine: widest zoom) or,
            // bounded, around the middle of the scale range, where the sigmoid passes those moves on.
            var e = model.emission.linear;
            e.weight!.normal_(0, 1.5 / Math.Sqrt(e.weight.shape[1]), gen);
            e.bias!.copy_(config.Emission == EmissionKind.Affine ? tensor(EmissionNetwork.InitialBias(config)) : zeros_like(e.bias));

            // Running statistics = one batch's statistics (momentum 1 for a single train-mode pass), then perturbed.
            foreach (var n in norms) n.SetMomentum(1.0);
            model.train();
            using (var images = ParityImages(config.InputSize, 16, seed + 1))
            using (model.forward(images)) { }
            foreach (var n in norms)
            {
                n.SetMomentum(n.Momentum);
                using var std = n.Var.sqrt();
                using var shift = empty_like(n.Mean).normal_(0, 0.1, gen);
                n.Mean.add_(shift.mul_(std));
                using var scale = empty_like(n.Var).uniform_(0.8, 1.25, gen);
                n.Var.mul_(scale).clamp_(min: MinRandomVariance);
            }
        }
        model.eval();
        return model;
    }

    /// <summary>
    /// The metadata props written to every export: <c>edram.*</c> (labels, steps, sizes, input scaling, config JSON,
    /// training data, accuracy when known) plus the checkpoint's <c>preprocess.*</c> keys.
    /// </summary>
    public static Dictionary<string, string> Metadata(EdramConfig config, TrainState? state)
    {
        var inv = CultureInfo.InvariantCulture;
        var labels = state?.Labels is { Length: > 0 } l ? l : Enumerable.Range(0, config.Classes).Select(i => $"class{i}").ToArray();
        if (labels.Length != config.Classes)
            throw new ArgumentException($"The state has {labels.Length} labels, the model {config.Classes} classes.");
        if (labels.FirstOrDefault(x => x.Contains(',') || x.Length == 0) is { } bad)
            throw new ArgumentException($"Label '{bad}' cannot be written to edram.labels (empty or contains a comma).");
        var meta = new Dictionary<string, string>
        {
            [Keys.Labels] = string.Join(",", labels),
            [Keys.Steps] = config.Steps.ToString(inv),
            [Keys.ZoomLimit] = config.ZoomLimit.ToString("R", inv),
            [Keys.Emission] = config.Emission == EmissionKind.Bounded ? "bounded" : "affine",
            [Keys.InputSize] = config.InputSize.ToString(inv),
            [Keys.GlimpseSize] = config.GlimpseSize.ToString(inv),
            [Keys.AlignCorners] = config.AlignCorners ? "true" : "false",
            [Keys.InputScale] = OnnxContract.InputScale,
            [Keys.InputOffset] = "0",
            [Keys.Preset] = config.Preset,
            [Keys.Config] = JsonSerializer.Serialize(config),
            [Keys.HasValenceArousal] = state?.HasValenceArousal == true ? "true" : "false",
            [Keys.TrainingData] = TrainingData(state),
        };
        if (state is { BestAccuracy: >= 0 })
        {
            meta[Keys.Accuracy] = state.BestAccuracy.ToString("0.####", inv);
            meta[Keys.BestEpoch] = state.BestEpoch.ToString(inv);
        }
        if (state != null)
            foreach (var (k, v) in state.Options.Preprocess) meta[k] = v;
        return meta;
    }

    /// <summary>"fer2013:fer2013": the dataset kind and folder name, never the training machine's path.</summary>
    static string TrainingData(TrainState? state)
    {
        var spec = state?.Options.Dataset;
        if (string.IsNullOrWhiteSpace(spec)) return OnnxContract.RandomWeightsTrainingData;
        int colon = spec.IndexOf(':');
        var kind = colon > 0 ? spec[..colon] : spec;
        var where = colon > 0 ? Path.GetFileName(spec[(colon + 1)..].TrimEnd('/', '\\')) : "";
        var text = where.Length > 0 ? $"{kind}:{where}" : kind;
        if (state!.Options.MaxTrainImages > 0) text += $" (first {state.Options.MaxTrainImages} images)";
        return text;
    }

    /// <summary>IR version matching the opset (IR 8 covers opsets up to 18, 9 up to 20, 10 up to 22).</summary>
    static long IrVersionFor(int opset) => opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}
