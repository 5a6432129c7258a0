using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Keys = EdramFer.Contracts.OnnxContract.Metadata;

namespace EdramFer.ML.Quantization;

/// <summary>Settings of <see cref="EdramQuantizer.Quantize"/>.</summary>
public sealed record QuantizeOptions
{
    /// <summary>Node-name parts whose layers stay float: the glimpse sensor's grid and the emission, which decide where
    /// the model looks, and the "where" embedding of θ, which gates every glimpse feature (quantized, the shipped model
    /// agreed with its float self on 88 % of 300 FER2013 faces instead of 99 %). All three are tiny.</summary>
    public static readonly IReadOnlyList<string> DefaultKeepFloat = ["/sensor/", "/emission/", "/where"];

    /// <summary>Layers whose node name contains one of these stay float.</summary>
    public IReadOnlyList<string> KeepFloat { get; init; } = DefaultKeepFloat;

    /// <summary>Images per ONNX Runtime call during calibration.</summary>
    public int BatchSize { get; init; } = 32;
}

/// <summary>What a quantization did.</summary>
/// <param name="Output">The int8 model's full path.</param>
/// <param name="CalibrationImages">Faces the activation ranges were measured on.</param>
/// <param name="QuantizedLayers">Conv, Gemm and MatMul nodes that run on integers.</param>
/// <param name="FloatLayers">Those that stayed float (kept by name, or not quantizable: a Gemm adding an activation).</param>
/// <param name="FoldedBatchNorms">Batch norms folded into the layer before them first.</param>
/// <param name="Description">What the metadata records (<c>edram.quantization</c>).</param>
public sealed record QuantizeReport(string Output, int CalibrationImages, int QuantizedLayers, int FloatLayers, int FoldedBatchNorms, string Description);

/// <summary>
/// Static int8 quantization of an exported EDRAM model (any export, the shipped one included; no TorchSharp): batch
/// norms folded, activation ranges calibrated on preprocessed faces, the graph rewritten to QDQ (<see cref="QdqRewriter"/>),
/// and the method recorded in the metadata (<c>edram.quantization</c>). Inputs, outputs and metadata contract unchanged.
/// </summary>
public static class EdramQuantizer
{
    /// <summary>Quantizes <paramref name="modelFile"/> into <paramref name="outputFile"/>, calibrated on
    /// <paramref name="calibrationFaces"/> (preprocessed faces as the model takes them, e.g. from <c>FacePreprocessor</c>).</summary>
    public static QuantizeReport Quantize(string modelFile, IReadOnlyList<byte[]> calibrationFaces, string outputFile, QuantizeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(calibrationFaces);
        options ??= new QuantizeOptions();
        var info = EdramModelInfo.Read(modelFile);
        if (info.Metadata.TryGetValue(Keys.Quantization, out var already))
            throw new InvalidDataException($"'{modelFile}' is quantized already ({already}); quantize the float model");
        if (calibrationFaces.Count == 0) throw new ArgumentException("no calibration images: give a few hundred faces", nameof(calibrationFaces));
        ModelProto model;
        using (var stream = File.OpenRead(modelFile)) model = ModelProto.Parser.ParseFrom(stream);
        var g = new OnnxGraphEdit(model.Graph);
        int folded = BatchNormFolding.Fold(g);
        var targets = QdqRewriter.Targets(g, options.KeepFloat);
        int layers = g.Graph.Node.Count(n => n.OpType is "Conv" or "Gemm" or "MatMul");
        var ranges = ActivationCalibration.Ranges(model, QdqRewriter.ActivationsOf(g, targets), calibrationFaces,
            info.InputSize, info.InputScale, info.InputOffset, options.BatchSize);
        new QdqRewriter(g).Rewrite(targets, ranges);
        var description = string.Create(CultureInfo.InvariantCulture,
            $"int8 static QDQ: activations uint8 per tensor (min-max over {calibrationFaces.Count} calibration faces), weights int8 per output channel; " +
            $"{targets.Count} of {layers} Conv/Gemm/MatMul layers on integers; float kept for names containing {string.Join(", ", options.KeepFloat.Select(k => $"'{k}'"))}; " +
            $"from {Path.GetFileName(info.Path)} (SHA-256 {info.Sha256})");
        SetMetadata(model, Keys.Quantization, description);
        Write(model, outputFile);
        return new QuantizeReport(Path.GetFullPath(outputFile), calibrationFaces.Count, targets.Count, layers - targets.Count, folded, description);
    }

    private static void SetMetadata(ModelProto model, string key, string value)
    {
        var entry = model.MetadataProps.FirstOrDefault(p => p.Key == key);
        if (entry is null) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        else entry.Value = value;
    }

    /// <summary>Writes to a temporary file, checks ONNX Runtime loads it, then renames: a failed rewrite leaves no output.</summary>
    private static void Write(ModelProto model, string outputFile)
    {
        var full = Path.GetFullPath(outputFile);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        try
        {
            using (var stream = File.Create(tmp)) model.WriteTo(stream);
            using (new InferenceSession(tmp)) { }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
