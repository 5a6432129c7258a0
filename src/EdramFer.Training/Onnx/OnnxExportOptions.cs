using Onnx;
using TorchSharp;

namespace EdramFer.Training.Onnx;

/// <summary>How <see cref="EdramOnnxExporter"/> writes and checks a model.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Opset of the standard domain: 16 (first with GridSample) to 21. Default 17.</summary>
    public int Opset { get; init; } = 17;

    /// <summary>
    /// Fold each step's batch norm into the Conv/Gemm before it (default: fewest nodes, fastest). False emits
    /// BatchNormalization nodes behind weights stored once for all steps: a file about 4x smaller for the paper preset.
    /// </summary>
    public bool FoldBatchNorm { get; init; } = true;

    /// <summary>
    /// Test-time augmentation built into the graph: the network also runs on the horizontally mirrored image and the
    /// probabilities, step probabilities and valence/arousal of the two are averaged; <c>glimpses</c> stay the image's
    /// own. Twice the compute per image. Written to the metadata as <c>edram.flip_averaging</c>.
    /// </summary>
    public bool FlipAveraging { get; init; }

    /// <summary>
    /// Temperature scaling: every step's logits are divided by it before the softmax (in each branch, before mirror
    /// averaging). 1 leaves the model as trained; fitted on held-out data by <c>edram-train export --calibrate</c>.
    /// Written to the metadata as <c>edram.temperature</c>.
    /// </summary>
    public double Temperature { get; init; } = 1;

    /// <summary>Largest absolute difference allowed between ONNX Runtime and TorchSharp on any output.</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Images of the parity check when <see cref="ValidationInput"/> is null (seeded noise in [0, 1]).</summary>
    public int ValidationBatch { get; init; } = 8;

    /// <summary>Seed of the generated parity images.</summary>
    public int ValidationSeed { get; init; } = 20240;

    /// <summary>Real images (B, 1, S, S) in [0, 1] for the parity check; null uses generated ones. The caller keeps ownership.</summary>
    public torch.Tensor? ValidationInput { get; init; }

    /// <summary>Test hook: changes the finished model before it is written and checked (to prove the check fails).</summary>
    internal Action<ModelProto>? Tamper { get; init; }
}

/// <summary>What an export wrote and how closely ONNX Runtime reproduced TorchSharp.</summary>
/// <param name="Path">The .onnx file.</param>
/// <param name="Bytes">File size.</param>
/// <param name="Opset">Opset of the graph.</param>
/// <param name="Nodes">Node count of the unrolled graph.</param>
/// <param name="InitializerElements">Stored weights and constants (elements).</param>
/// <param name="Parity">The parity check run on the written file.</param>
public sealed record OnnxExportReport(string Path, long Bytes, int Opset, int Nodes, long InitializerElements, OnnxParity Parity);

/// <summary>Largest absolute difference per output between ONNX Runtime and TorchSharp (eval) on one batch.</summary>
/// <param name="Images">Images in the batch.</param>
/// <param name="MaxAbsDiff">Output name → max |onnx − torch|.</param>
public sealed record OnnxParity(int Images, IReadOnlyDictionary<string, double> MaxAbsDiff)
{
    /// <summary>The largest difference over all outputs.</summary>
    public double Worst => MaxAbsDiff.Count == 0 ? 0 : MaxAbsDiff.Values.Max();

    /// <summary>"probabilities 1.2e-07, valence_arousal …".</summary>
    public override string ToString() =>
        string.Join(", ", MaxAbsDiff.Select(kv => $"{kv.Key} {kv.Value.ToString("0.##E+00", System.Globalization.CultureInfo.InvariantCulture)}"));
}
