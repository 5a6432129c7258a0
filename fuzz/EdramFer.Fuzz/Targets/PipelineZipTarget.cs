using EdramFer.Fuzz.Seeds;
using EdramFer.ML;
using Microsoft.ML;

namespace EdramFer.Fuzz.Targets;

/// <summary>
/// Pipeline zip bytes through <see cref="EdramPipeline.Load"/>: the zip itself, ML.NET's loaders, EdramFer's saved
/// transform states and the model check. The zip sits next to <see cref="TinyEdramModel"/>, the model the seed
/// pipelines were saved with, so an intact state passes its hash check and the loader goes all the way.
/// </summary>
public sealed class PipelineZipTarget : FuzzTarget
{
    /// <summary>File name of the model next to the zip (the seeds refer to it relative to their folder).</summary>
    public const string ModelFileName = "edram-tiny.onnx";

    private readonly MLContext _ml = new(seed: 0);
    private bool _modelWritten;

    /// <inheritdoc />
    public override string Name => "pipeline-zip";

    /// <inheritdoc />
    public override string Contract =>
        "Only InvalidDataException (naming the zip or the model) and FileNotFoundException (the model) escape; a loaded " +
        "pipeline's scoring states can be read back, each with the SHA-256 its model was checked against.";

    /// <inheritdoc />
    public override IReadOnlyList<byte[]> Dictionary { get; } =
    [
        [(byte)'P', (byte)'K', 3, 4], [(byte)'P', (byte)'K', 1, 2], [(byte)'P', (byte)'K', 5, 6],
        .. Tokens("\"ModelPath\":", "\"Sha256\":", "\"RelativeToPipeline\":true", "\"Labels\":[]", "\"Kind\":\"edram.scoring\"",
            "edram-tiny.onnx", "../", "/dev/zero", "null", "{}", "[", "\"", "\n", "TransformerChain", "Model.key", "Schema"),
    ];

    /// <inheritdoc />
    public override string Run(ReadOnlySpan<byte> data)
    {
        if (!_modelWritten)
        {
            File.WriteAllBytes(Path.Combine(WorkFolder, ModelFileName), TinyEdramModel.Bytes());
            _modelWritten = true;
        }
        var zip = Path.Combine(WorkFolder, "pipeline.zip");
        File.WriteAllBytes(zip, data.ToArray());
        EdramModel model;
        try
        {
            model = _ml.Model.LoadEdram(zip);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            if (!e.Message.Contains(WorkFolder, StringComparison.Ordinal) && e is InvalidDataException)
                throw new ContractViolation($"the refusal names neither the zip nor the model: {e.Message}");
            return $"refused ({e.GetType().Name}): {Outcome.Template(e.Message)}";
        }
        using var owned = model;
        var states = model.Scoring;
        foreach (var state in states)
            if (state.Sha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigit))
                throw new ContractViolation($"loaded a scoring state whose model hash '{state.Sha256}' is not a SHA-256: its model was not checked");
        return $"loaded: {states.Count} scoring state(s)";
    }
}
