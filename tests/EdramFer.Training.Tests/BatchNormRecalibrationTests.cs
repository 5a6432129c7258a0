using EdramFer.Training.Data;
using EdramFer.Training.Model;
using EdramFer.Training.Train;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class BatchNormRecalibrationTests
{
    static PreprocessedSet RandomSet(int n, int size, int seed)
    {
        var rng = new Random(seed);
        var pixels = new byte[n * size * size];
        rng.NextBytes(pixels);
        return PreprocessedSet.FromPixels(size, pixels, Enumerable.Range(0, n).Select(i => i % 3).ToArray());
    }

    static EdramNet Model(int seed)
    {
        manual_seed(seed);
        return new EdramNet(TestModels.Tiny() with { InputSize = 32, GlimpseSize = 16, ContextSize = 12 });
    }

    [Fact]
    public void Run_ContextNorm_StatisticsAreTheMeanOfTheBatchStatistics()
    {
        using var model = Model(1);
        var set = RandomSet(24, 32, 5);
        int used = BatchNormRecalibration.Run(model, set, batches: 3, batchSize: 8, seed: 2, CPU);
        Assert.Equal(3, used);

        // The context network's first norm sees the pooled image through conv1 only: recompute its batch statistics by hand.
        var order = Trainer.Shuffle(set.Count, 2, -1);
        var means = new List<Tensor>(); var vars = new List<Tensor>();
        using (no_grad())
            for (int b = 0; b < 3; b++)
            {
                var x = Trainer.Gather(set, order.AsSpan(b * 8, 8), CPU).X;
                var pooled = nn.functional.adaptive_avg_pool2d(x, new long[] { 12, 12 });
                var y = model.context.conv1.forward(pooled);
                means.Add(y.mean([0L, 2, 3]));
                vars.Add(y.var([0L, 2, 3], unbiased: true));
            }
        var bn = model.context.bn1;
        Assert.True(bn.running_mean!.allclose(stack(means).mean([0L]), rtol: 1e-4, atol: 1e-5), "running mean is not the batch means' average");
        Assert.True(bn.running_var!.allclose(stack(vars).mean([0L]), rtol: 1e-4, atol: 1e-5), "running variance is not the batch variances' average");
    }

    [Fact]
    public void Run_FromDifferentStartingStatistics_GivesTheSameStatistics_AndRestoresMomentum()
    {
        var set = RandomSet(32, 32, 6);
        using var a = Model(4);
        using var b = Model(4);
        using (no_grad())
            foreach (var n in b.modules().OfType<BatchNorm>()) { n.running_mean!.add_(3f); n.running_var!.mul_(7f); }
        BatchNormRecalibration.Run(a, set, 4, 8, 9, CPU);
        BatchNormRecalibration.Run(b, set, 4, 8, 9, CPU);
        var sa = a.state_dict(); var sb = b.state_dict();
        foreach (var (name, t) in sa.Where(kv => kv.Key.Contains("running")))
            Assert.True(t.allclose(sb[name], rtol: 1e-5, atol: 1e-6), $"{name} depends on the statistics before recalibration");
        Assert.All(a.modules().OfType<BatchNorm>(), n => Assert.Equal(a.Config.BatchNormMomentum, n.momentum!.Value, 12));
    }

    [Fact]
    public void Run_FewerImagesThanABatch_LeavesStatisticsAlone()
    {
        using var model = Model(2);
        var before = model.context.bn1.running_mean!.clone();
        Assert.Equal(0, BatchNormRecalibration.Run(model, RandomSet(5, 32, 1), 10, 8, 1, CPU));
        Assert.True(model.context.bn1.running_mean!.equal(before).all().item<bool>());
    }
}

public class EpochDiagnosticsTests
{
    static float[] Theta(float s, float tx, float ty) => [s, 0, tx, 0, s, ty];

    [Fact]
    public void From_KnownGlimpses_MedianScaleAndMeanShiftInPixels()
    {
        // Two steps: scale 1 centred, then scale 0.5 moved by (0.2, 0) or (0, 0.4) in normalised units (10 or 20 px of 100).
        var thetas = new[]
        {
            Theta(1, 0, 0).Concat(Theta(0.5f, 0.2f, 0)).ToArray(),
            Theta(1, 0, 0).Concat(Theta(0.4f, 0, 0.4f)).ToArray(),
            Theta(0.8f, 0, 0).Concat(Theta(0.3f, 0.2f, 0)).ToArray(),
        };
        var d = EpochDiagnostics.From(thetas, 100, 0.25);
        Assert.Equal(new[] { 1.0, 0.4 }, d.MedianScale.Select(v => Math.Round(v, 5)));
        Assert.Equal(0, d.MeanShiftPixels[0]);
        Assert.Equal((10 + 20 + 10) / 3.0, d.MeanShiftPixels[1], 4);
        Assert.Equal(0.25, d.MovingAverageAccuracy);
    }

    [Fact]
    public void From_RotatedGlimpse_ScaleIsSqrtDeterminant()
    {
        float c = 0.6f * MathF.Cos(0.5f), s = 0.6f * MathF.Sin(0.5f);
        var d = EpochDiagnostics.From([[c, -s, 0, s, c, 0]], 100, null);
        Assert.Equal(0.6, d.MedianScale[0], 5);
    }
}
