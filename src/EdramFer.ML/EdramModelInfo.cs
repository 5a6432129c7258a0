using System.Globalization;
using System.Security.Cryptography;
using EdramFer.Contracts;
using EdramFer.Vision;
using Microsoft.ML.OnnxRuntime;

using Keys = EdramFer.Contracts.OnnxContract.Metadata;

namespace EdramFer.ML;

/// <summary>
/// What an exported EDRAM ONNX model says about itself (DESIGN §3): labels, steps, input size and scaling, whether its
/// valence/arousal head was trained, and the preprocessing it was trained with. <see cref="Read(string)"/> checks the
/// graph's inputs and outputs and throws naming the file and what was expected.
/// </summary>
public sealed record EdramModelInfo
{
    /// <summary>Absolute path of the model file.</summary>
    public required string Path { get; init; }
    /// <summary>Lower-case hex SHA-256 of the file.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Class labels in output order (<c>edram.labels</c>).</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Glimpses per image (<c>edram.steps</c>).</summary>
    public required int Steps { get; init; }
    /// <summary>Side of the square input (<c>edram.input_size</c>).</summary>
    public required int InputSize { get; init; }
    /// <summary>Multiplier from pixel bytes to input floats (<c>edram.input_scale</c>, 1/255).</summary>
    public required float InputScale { get; init; }
    /// <summary>Added after scaling (<c>edram.input_offset</c>).</summary>
    public required float InputOffset { get; init; }
    /// <summary>True when the valence/arousal head was trained (<c>edram.has_valence_arousal</c>).</summary>
    public required bool HasValenceArousal { get; init; }
    /// <summary>True when the graph averages each image with its mirror (<c>edram.flip_averaging</c>): twice the compute per image.</summary>
    public required bool FlipAveraging { get; init; }
    /// <summary>The preprocessing the model was trained with (<c>preprocess.*</c>; defaults for missing keys; no detector paths).</summary>
    public required PreprocessOptions Preprocess { get; init; }
    /// <summary>Every metadata pair of the model.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>Reads and checks a model file (creates a CPU session; about as costly as loading the model).</summary>
    public static EdramModelInfo Read(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var full = System.IO.Path.GetFullPath(modelPath);
        if (!File.Exists(full)) throw new FileNotFoundException($"EDRAM model file not found: '{modelPath}'", full);
        InferenceSession session;
        try
        {
            session = new InferenceSession(full, new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR });
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"'{modelPath}' is not a loadable ONNX model: {e.Message.Trim()}", e);
        }
        using (session) return Read(session, full, Hash(full));
    }

    /// <summary>Reads and checks the metadata and signature of an open session.</summary>
    public static EdramModelInfo Read(InferenceSession session, string path, string sha256)
    {
        var meta = CustomMetadata(session, path);
        string Need(string key) => meta.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v
            : throw new InvalidDataException($"'{path}' is not an EDRAM model: metadata key '{key}' is missing (expected an export of EdramOnnxExporter)");
        int Int(string key) => int.TryParse(Need(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
            : throw new InvalidDataException($"'{path}': metadata '{key}' is '{meta[key]}', expected an integer");
        float Float(string key) => float.TryParse(Need(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f
            : throw new InvalidDataException($"'{path}': metadata '{key}' is '{meta[key]}', expected a number");

        var labels = Need(Keys.Labels).Split(',').Select(l => l.Trim()).ToArray();
        if (labels.Length < 2 || labels.Any(l => l.Length == 0) || labels.Distinct(StringComparer.OrdinalIgnoreCase).Count() != labels.Length)
            throw new InvalidDataException($"'{path}': metadata '{Keys.Labels}' is '{meta[Keys.Labels]}', expected 2 or more distinct non-empty labels");
        var steps = Int(Keys.Steps);
        var size = Int(Keys.InputSize);
        var info = new EdramModelInfo
        {
            Path = path,
            Sha256 = sha256,
            Labels = labels,
            Steps = steps,
            InputSize = size,
            InputScale = Float(Keys.InputScale),
            InputOffset = meta.ContainsKey(Keys.InputOffset) ? Float(Keys.InputOffset) : 0f,
            HasValenceArousal = OnnxContract.IsTrue(meta, Keys.HasValenceArousal),
            FlipAveraging = OnnxContract.IsTrue(meta, Keys.FlipAveraging),
            Preprocess = FromMetadata(meta, path),
            Metadata = new Dictionary<string, string>(meta),
        };
        if (info.Preprocess.OutputSize != size)
            throw new InvalidDataException($"'{path}': preprocess.output_size {info.Preprocess.OutputSize} differs from edram.input_size {size}");
        CheckSignature(session, info);
        return info;
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The model's metadata pairs. ONNX Runtime looks each value up by its key read back as text, so a key holding NUL
    /// or bytes that are not UTF-8 finds no value and its .NET wrapper throws NullReferenceException (found by fuzzing).
    /// </summary>
    private static Dictionary<string, string> CustomMetadata(InferenceSession session, string path)
    {
        try
        {
            return session.ModelMetadata.CustomMetadataMap;
        }
        catch (NullReferenceException e)
        {
            throw new InvalidDataException($"'{path}' has metadata that ONNX Runtime cannot read back (a key holding NUL or bytes that are not UTF-8 text)", e);
        }
    }

    private static PreprocessOptions FromMetadata(IReadOnlyDictionary<string, string> meta, string path)
    {
        try
        {
            return PreprocessOptions.FromMetadata(meta);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    private static void CheckSignature(InferenceSession session, EdramModelInfo info)
    {
        var path = info.Path;
        int c = info.Labels.Count, t = info.Steps, s = info.InputSize;
        if (!session.InputMetadata.TryGetValue(OnnxContract.InputName, out var input))
            throw new InvalidDataException($"'{path}' is not an EDRAM model: no input '{OnnxContract.InputName}' (inputs: {string.Join(", ", session.InputMetadata.Keys)})");
        Expect(path, OnnxContract.InputName, input, [-1, 1, s, s]);
        Expect(path, OnnxContract.ProbabilitiesName, Output(session, path, OnnxContract.ProbabilitiesName), [-1, c]);
        Expect(path, OnnxContract.ValenceArousalName, Output(session, path, OnnxContract.ValenceArousalName), [-1, 2]);
        Expect(path, OnnxContract.GlimpsesName, Output(session, path, OnnxContract.GlimpsesName), [-1, t, 6]);
        Expect(path, OnnxContract.StepProbabilitiesName, Output(session, path, OnnxContract.StepProbabilitiesName), [-1, t, c]);
    }

    private static NodeMetadata Output(InferenceSession session, string path, string name) =>
        session.OutputMetadata.TryGetValue(name, out var m) ? m
            : throw new InvalidDataException($"'{path}' is not an EDRAM model: no output '{name}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)})");

    /// <summary>Element type float32 and the given dims; -1 = any (the dynamic batch).</summary>
    private static void Expect(string path, string name, NodeMetadata node, int[] dims)
    {
        var got = node.Dimensions;
        var ok = node.ElementType == typeof(float) && got.Length == dims.Length;
        for (var i = 0; ok && i < dims.Length; i++) ok = dims[i] < 0 || got[i] < 0 || got[i] == dims[i];
        if (!ok)
            throw new InvalidDataException(
                $"'{path}': tensor '{name}' is {node.ElementType.Name}[{string.Join(",", got)}], expected Single[{string.Join(",", dims.Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture)))}]");
    }
}
