using EdramFer.Training.Train;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

/// <summary>The recipe levers: smoothed cross-entropy and the cosine learning-rate schedule.</summary>
public class RecipeTests
{
    [Fact]
    public void SmoothedCrossEntropy_EqualsTheDefinitionAndPlainCrossEntropyAtZero()
    {
        manual_seed(4);
        using var logits = randn(6, 4) * 3;
        using var labels = tensor(new long[] { 0, 3, 1, 1, 2, 3 });
        using var weights = tensor(new[] { 0.5f, 2f, 1f, 1.5f });
        var z = logits.data<float>().ToArray();
        var y = labels.data<long>().ToArray();
        var w = weights.data<float>().ToArray();
        double Expected(double eps)
        {
            double sum = 0, norm = 0;
            for (int i = 0; i < 6; i++)
            {
                var row = z.AsSpan(i * 4, 4).ToArray();
                var lse = Math.Log(row.Sum(v => Math.Exp(v - row.Max()))) + row.Max();
                double Nll(int c) => lse - row[c];
                sum += (1 - eps) * w[y[i]] * Nll((int)y[i]) + eps / 4 * Enumerable.Range(0, 4).Sum(c => w[c] * Nll(c));
                norm += w[y[i]];
            }
            return sum / norm;
        }
        using var smoothed = EdramLoss.SmoothedCrossEntropy(logits, labels, weights, 0.1f);
        Assert.Equal(Expected(0.1), smoothed.item<float>(), 5);
        using var zero = EdramLoss.SmoothedCrossEntropy(logits, labels, weights, 0f);
        using var plain = nn.functional.cross_entropy(logits, labels, weight: weights);
        Assert.Equal(plain.item<float>(), zero.item<float>(), 5);
    }

    [Fact]
    public void CosineAt_WarmsUpLinearlyThenDecaysToTheFloor()
    {
        var o = new TrainOptions { Epochs = 10, LearningRate = 1e-3, MinLearningRate = 1e-5, WarmupEpochs = 1, Schedule = LearningRateSchedule.Cosine };
        const int batches = 100;
        var rates = Enumerable.Range(0, 10).SelectMany(e => Enumerable.Range(0, batches).Select(b => LearningRateSchedule.CosineAt(o, e, b, batches))).ToList();
        Assert.Equal(1e-5, rates[0], 12);                      // first warm-up step: 1/100 of the rate
        Assert.Equal(1e-3, rates[99], 12);                     // end of warm-up
        Assert.Equal(1e-3, rates[100], 9);                     // the decay starts at the top
        Assert.True(rates.Skip(100).Zip(rates.Skip(101)).All(p => p.Second <= p.First), "non-increasing after the warm-up");
        Assert.InRange(rates[^1], 1e-5, 1.1e-5);               // ends at the floor
        Assert.Equal((1e-3 + 1e-5) / 2, LearningRateSchedule.CosineAt(o, 5, 50, batches), 4); // half way through the decay
    }

    [Fact]
    public void WeightAverage_Update_MovesEachParameterTowardsTheModelAndCopiesBuffers()
    {
        using var model = EdramFer.Training.Onnx.EdramOnnxExporter.CreateRandomModel(EdramFer.Training.Model.EdramConfig.Cpu with { Steps = 2 }, seed: 3);
        using var average = WeightAverage.Copy(model);
        var before = average.parameters().Select(p => p.detach().clone()).ToList();
        using (no_grad()) foreach (var p in model.parameters()) p.add_(1f);
        WeightAverage.Update(average, model, 0.9);
        foreach (var ((a, old), p) in average.parameters().Zip(before).Zip(model.parameters()))
            Assert.True(a.allclose(old * 0.9 + p * 0.1, rtol: 1e-5, atol: 1e-6), "a ← 0.9·a + 0.1·p");
        foreach (var (a, b) in average.buffers().Zip(model.buffers())) Assert.True(a.equal(b).all().item<bool>(), "buffers copied");
    }
}
