using EdramFer.Contracts;
using EdramFer.Training.Model;
using EdramFer.Training.Onnx;
using EdramFer.Training.Train;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

/// <summary>The constants the exporter builds by hand, against the PyTorch ops they replace.</summary>
public sealed class OnnxGraphPiecesTests
{
    [Theory]
    [InlineData(100, 12)]
    [InlineData(100, 25)]
    [InlineData(7, 3)]
    public void AdaptivePoolMatrix_PXPt_EqualsAdaptiveAvgPool2d(int n, int k)
    {
        var p = EdramGraphWriter.AdaptivePoolMatrix(n, k);
        using var gen = new Generator(3);
        using var x = rand(new long[] { 2, 1, n, n }, generator: gen);
        using var pm = tensor(p, new long[] { k, n });
        using var viaMatrix = pm.matmul(x).matmul(pm.t());
        using var expected = nn.functional.adaptive_avg_pool2d(x, new long[] { k, k });
        double diff = (viaMatrix - expected).abs().max().item<float>();
        Assert.True(diff < 1e-6, $"max diff {diff:E2}");
        if (n % k != 0) // PyTorch's windows overlap here; a plain AveragePool (disjoint windows) could not do this
            Assert.Contains(Enumerable.Range(1, k - 1), i => p[i * n + i * n / k] != 0 && p[(i - 1) * n + i * n / k] != 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BaseGrid_TimesIdentityTheta_EqualsAffineGrid(bool alignCorners)
    {
        const int size = 26;
        var grid = EdramGraphWriter.BaseGrid(size, size, alignCorners);
        using var theta = tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(1, 2, 3);
        using var expected = nn.functional.affine_grid(theta, new long[] { 1, 1, size, size }, alignCorners); // (1, g, g, 2)
        var e = expected.data<float>().ToArray();
        for (int i = 0; i < size * size; i++)
        {
            Assert.Equal(e[2 * i], grid[3 * i], 6);
            Assert.Equal(e[2 * i + 1], grid[3 * i + 1], 6);
            Assert.Equal(1f, grid[3 * i + 2]);
        }
        if (!alignCorners) Assert.Equal(1.0 / size - 1, grid[0], 6); // pixel centre (2i+1)/W - 1
    }

    [Fact]
    public void Fold_ConvThenBatchNorm_EqualsFoldedConv()
    {
        using var gen = new Generator(5);
        using var conv = nn.Conv2d(3, 4, 3, padding: 1);
        using var bn = nn.BatchNorm2d(4);
        using (no_grad())
        {
            bn.running_mean!.normal_(0, 1, gen);
            bn.running_var!.uniform_(0.2, 3, gen);
            bn.weight!.uniform_(0.5, 2, gen);
            bn.bias!.normal_(0, 1, gen);
        }
        bn.eval();
        using var x = randn(new long[] { 2, 3, 8, 8 }, generator: gen);
        using var expected = bn.forward(conv.forward(x));
        var (w, b) = EdramGraphWriter.Fold(conv.weight!, conv.bias, bn.weight, bn.bias, bn.running_mean!, bn.running_var!, bn.eps);
        using var wt = tensor(w, conv.weight!.shape);
        using var bt = tensor(b);
        using var folded = nn.functional.conv2d(x, wt, bt, padding: new long[] { 1, 1 });
        Assert.True((folded - expected).abs().max().item<float>() < 1e-5);
    }
}

/// <summary>Weights-only checkpoints for shipping.</summary>
public sealed class CheckpointInferenceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edram-ckpt-tests-" + Guid.NewGuid().ToString("N"));
    public CheckpointInferenceTests() => Directory.CreateDirectory(_dir);
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Fact]
    public void SaveForInference_RoundTrip_SameOutputsAndNoMachinePaths()
    {
        var config = EdramConfig.Cpu with { Steps = 2 };
        using var model = EdramOnnxExporter.CreateRandomModel(config, seed: 21);
        var state = new TrainState
        {
            Config = config,
            Labels = ["a", "b", "c", "d", "e", "f", "g"],
            BestAccuracy = 0.5,
            Options = new TrainOptions { Dataset = $"fer2013:{_dir}/data/fer2013", CacheDir = Path.Combine(_dir, "cache") },
        };
        var path = Path.Combine(_dir, "w.ckpt");
        Checkpoint.SaveForInference(path, state, model);

        var (loaded, copy) = Checkpoint.LoadModel(path);
        using (copy)
        {
            Assert.Equal("fer2013:fer2013", loaded.Options.Dataset);
            Assert.Equal("", loaded.Options.CacheDir);
            Assert.Equal(state.Labels, loaded.Labels);
            Assert.False(copy.training);
            Assert.DoesNotContain(_dir, File.ReadAllText(path));
            using var x = EdramOnnxExporter.ParityImages(100, 3, 1);
            var a = EdramOnnxExporter.RunTorch(model, x);
            var b = EdramOnnxExporter.RunTorch(copy, x);
            foreach (var name in OnnxContract.OutputNames) Assert.Equal(a[name], b[name]);

            var report = EdramOnnxExporter.ExportCheckpoint(path, Path.Combine(_dir, "w.onnx"));
            Assert.True(report.Parity.Worst <= 1e-4, report.Parity.ToString());
        }
    }
}
