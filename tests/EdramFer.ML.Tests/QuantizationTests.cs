using EdramFer.Contracts;
using EdramFer.ML.Quantization;
using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace EdramFer.ML.Tests;

/// <summary>
/// <c>edram quantize</c>'s library on the shipped model (mirror-averaged, batch norms as nodes) with real FER2013 crops:
/// ONNX Runtime really runs integer kernels, the contract is unchanged, and the labels follow the float model on faces
/// the calibration did not see.
/// </summary>
public sealed class QuantizationTests : IDisposable
{
    static string Shipped => Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");
    readonly string _dir = TestModels.TempFolder("quantize");
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static List<byte[]> Faces(IEnumerable<string> paths)
    {
        using var crops = new FacePreprocessor(new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage });
        return crops.ProcessFiles(paths.ToList()).Select(r => r.Pixels!).ToList();
    }

    /// <summary>Calibration on one half of 20 PublicTest crops per class, checks on the other half.</summary>
    static (List<byte[]> Calibration, List<byte[]> Held) Split()
    {
        var faces = Faces(TestModels.FerTest(20).Select(r => r.Path));
        return (faces.Where((_, i) => i % 2 == 0).ToList(), faces.Where((_, i) => i % 2 == 1).ToList());
    }

    [SharedDataFact("fer2013/test")]
    public void Quantize_ShippedModel_RunsOnIntegerKernelsAndFollowsTheFloatModel()
    {
        var (calibration, held) = Split();
        var output = Path.Combine(_dir, "int8.onnx");
        var report = EdramQuantizer.Quantize(Shipped, calibration, output);

        Assert.Equal(63, report.FoldedBatchNorms);
        Assert.True(report.QuantizedLayers > 60, $"{report.QuantizedLayers} layers quantized");
        var info = EdramModelInfo.Read(output);
        Assert.Contains("int8 static QDQ", info.Metadata[OnnxContract.Metadata.Quantization]);
        Assert.Equal(EdramModelInfo.Read(Shipped).Labels, info.Labels);
        Assert.True(info.FlipAveraging);

        // ONNX Runtime's optimised graph: the QDQ groups became integer kernels, and only the layers kept float are float.
        var ops = OptimizedOps(output);
        Assert.True(ops.GetValueOrDefault("QLinearConv") >= 36, $"QLinearConv: {ops.GetValueOrDefault("QLinearConv")}");
        Assert.True(ops.GetValueOrDefault("QGemm") + ops.GetValueOrDefault("MatMulIntegerToFloat") + ops.GetValueOrDefault("QLinearMatMul") >= 20,
            string.Join(", ", ops.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.Equal(0, ops.GetValueOrDefault("Conv") + ops.GetValueOrDefault("FusedConv"));

        var parity = QuantizationParity.Compare(Shipped, output, held);
        Assert.True(parity.Agreement >= 0.95, $"same label on {parity.Agreement:P1} of {parity.Images} held-out faces");
        Assert.True(parity.MeanAbsDifference < 0.01, $"mean probability difference {parity.MeanAbsDifference:F4}");
    }

    [SharedDataFact("fer2013/test")]
    public void Quantize_QuantizedModel_IsRefused()
    {
        var (calibration, _) = Split();
        var once = Path.Combine(_dir, "once.onnx");
        EdramQuantizer.Quantize(Shipped, calibration, once);
        var e = Assert.Throws<InvalidDataException>(() => EdramQuantizer.Quantize(once, calibration, Path.Combine(_dir, "twice.onnx")));
        Assert.Contains("quantized already", e.Message);
    }

    [Fact]
    public void Quantize_NoCalibrationFaces_IsRefusedAndWritesNothing()
    {
        var output = Path.Combine(_dir, "none.onnx");
        Assert.Throws<ArgumentException>(() => EdramQuantizer.Quantize(Shipped, [], output));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void FoldBatchNorms_ShippedModel_SameOutputsAsWithNodes()
    {
        ModelProto model;
        using (var stream = File.OpenRead(Shipped)) model = ModelProto.Parser.ParseFrom(stream);
        Assert.Equal(63, BatchNormFolding.Fold(new OnnxGraphEdit(model.Graph)));
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "BatchNormalization");
        var folded = Path.Combine(_dir, "folded.onnx");
        using (var stream = File.Create(folded)) Google.Protobuf.MessageExtensions.WriteTo(model, stream);

        var rng = new Random(5);
        var faces = Enumerable.Range(0, 8).Select(_ => { var f = new byte[100 * 100]; rng.NextBytes(f); return f; }).ToList();
        var parity = QuantizationParity.Compare(Shipped, folded, faces);
        Assert.Equal(1.0, parity.Agreement);
        Assert.True(parity.MaxAbsDifference < 1e-4, $"max difference {parity.MaxAbsDifference:E2}");
    }

    /// <summary>Op counts of the graph ONNX Runtime runs after its optimisations (saved with OptimizedModelFilePath).</summary>
    Dictionary<string, int> OptimizedOps(string model)
    {
        var optimized = Path.Combine(_dir, "optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimized })
        using (new InferenceSession(model, options)) { }
        ModelProto proto;
        using (var stream = File.OpenRead(optimized)) proto = ModelProto.Parser.ParseFrom(stream);
        return proto.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
    }
}
