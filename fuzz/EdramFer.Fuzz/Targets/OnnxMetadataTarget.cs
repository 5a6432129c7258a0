using System.Security.Cryptography;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;

namespace EdramFer.Fuzz.Targets;

/// <summary>
/// Model file bytes through <see cref="EdramModelInfo.Read(string)"/>: ONNX Runtime's parser, then the <c>edram.*</c>
/// and <c>preprocess.*</c> metadata and the graph's signature.
/// </summary>
public sealed class OnnxMetadataTarget : FuzzTarget
{
    /// <inheritdoc />
    public override string Name => "onnx-metadata";

    /// <inheritdoc />
    public override string Contract =>
        "Only InvalidDataException (naming the file) escapes; an accepted model has 2+ distinct non-empty labels, steps and input " +
        "size >= 1, preprocessing whose output size is the input size and whose pixel limit is at most the default, and the " +
        "SHA-256 of the bytes.";

    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } = Tokens(
        OnnxContract.Metadata.Labels, OnnxContract.Metadata.Steps, OnnxContract.Metadata.InputSize, OnnxContract.Metadata.InputScale, OnnxContract.Metadata.InputOffset, OnnxContract.Metadata.HasValenceArousal,
        OnnxContract.Metadata.FlipAveraging, "preprocess.version", "preprocess.max_pixels", "preprocess.output_size", "preprocess.detectors",
        "preprocess.no_face_policy", "image", "probabilities", "glimpses", "valence_arousal", "step_probabilities",
        "angry,angry", ",", "-1", "0", "NaN", "Infinity", "1e309", "9000000000000", "true", "none", "yunet");

    /// <inheritdoc />
    public override string Run(ReadOnlySpan<byte> data)
    {
        var file = Path.Combine(WorkFolder, "model.onnx");
        File.WriteAllBytes(file, data.ToArray());
        EdramModelInfo info;
        try
        {
            info = EdramModelInfo.Read(file);
        }
        catch (InvalidDataException e)
        {
            if (!e.Message.Contains(file, StringComparison.Ordinal)) throw new ContractViolation($"the refusal does not name the file: {e.Message}");
            return "refused: " + Outcome.Template(e.Message);
        }
        Check(info, data);
        return "accepted";
    }

    private static void Check(EdramModelInfo info, ReadOnlySpan<byte> data)
    {
        var labels = info.Labels;
        if (labels.Count < 2 || labels.Any(string.IsNullOrWhiteSpace) || labels.Distinct(StringComparer.OrdinalIgnoreCase).Count() != labels.Count)
            throw new ContractViolation($"accepted labels [{string.Join("|", labels)}]");
        if (info.Steps < 1 || info.InputSize < 1) throw new ContractViolation($"accepted {info.Steps} steps and input size {info.InputSize}");
        if (info.Preprocess.OutputSize != info.InputSize || info.Preprocess.MaxPixels > PreprocessOptions.DefaultMaxPixels)
            throw new ContractViolation($"accepted preprocessing with output size {info.Preprocess.OutputSize} and {info.Preprocess.MaxPixels} max pixels");
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));
        if (info.Sha256 != sha) throw new ContractViolation($"SHA-256 {info.Sha256}, the bytes hash to {sha}");
    }
}
