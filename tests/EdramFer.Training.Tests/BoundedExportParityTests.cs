using EdramFer.Tests.Shared;
using EdramFer.Training.Data;
using EdramFer.Training.Model;
using EdramFer.Training.Onnx;
using EdramFer.Training.Train;
using EdramFer.Vision;

namespace EdramFer.Training.Tests;

/// <summary>
/// Export parity of the bounded emission on real FER2013 PublicTest crops: ≤ 1e-4 on every output at opsets 16, 17
/// and 20, plain and mirror-averaged. The model is a seeded random cpu-preset one, or the checkpoint named by
/// <c>$EDRAM_BOUNDED_CHECKPOINT</c> (a trained run's best.ckpt).
/// </summary>
public sealed class BoundedExportParityTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    const double Tolerance = 1e-4;
    readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [SharedDataTheory("fer2013/test")]
    [InlineData(16, false, false, false)]
    [InlineData(17, true, false, false)]
    [InlineData(20, false, false, false)]
    [InlineData(20, true, false, false)]
    [InlineData(17, false, true, false)]
    [InlineData(17, true, false, true)]
    public void Export_BoundedEmissionRealImages_ParityWithin1e4(int opset, bool flip, bool whereBatchNorm, bool resnet)
    {
        var (state, model) = Model(whereBatchNorm, resnet);
        using (model)
        {
            Assert.Equal(EmissionKind.Bounded, model.Config.Emission);
            var options = new PreprocessOptions { Detectors = [] };
            using var images = TrainedModelOnnxTests.LoadFer2013(options, DatasetReader.Fer2013Labels, out _);
            Assert.True(images.shape[0] >= 100, $"only {images.shape[0]} images preprocessed");
            var path = _dir.File($"bounded-{opset}-{flip}-{whereBatchNorm}-{resnet}.onnx");
            EdramOnnxExporter.Export(model, state, path, new OnnxExportOptions { Opset = opset, FlipAveraging = flip });
            var parity = EdramOnnxExporter.Compare(model, path, images, flip);
            output.WriteLine($"opset {opset}, mirror averaging {flip}, where batch norm {whereBatchNorm}, ResNet glimpses {resnet}: {parity}");
            foreach (var (name, diff) in parity.MaxAbsDiff)
                Assert.True(diff <= Tolerance, $"{name}: max abs diff {diff:E2} > {Tolerance:E0} on {parity.Images} images ({parity})");
        }
    }

    /// <param name="whereBatchNorm">For the random model: with the optional "where" batch norms (folded into the Gemm).</param>
    /// <param name="resnet">For the random model: a ResNet glimpse trunk (strided convolutions, residual adds, global pooling).</param>
    static (TrainState State, EdramNet Model) Model(bool whereBatchNorm, bool resnet)
    {
        if (Environment.GetEnvironmentVariable("EDRAM_BOUNDED_CHECKPOINT") is { Length: > 0 } ckpt) return Checkpoint.LoadModel(ckpt);
        var config = EdramConfig.Cpu with { WhereBatchNorm = whereBatchNorm };
        if (resnet) config = config with { GlimpseNet = GlimpseNetKind.ResNet, ResNetBlocks = [1, 1, 1], GlimpseSize = 32, Steps = 3 };
        return (new TrainState { Config = config, Labels = DatasetReader.Fer2013Labels }, EdramOnnxExporter.CreateRandomModel(config, seed: 3));
    }
}
