using EdramFer.Training.Model;
using EdramFer.Training.Train;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class EdramLossTests
{
    [Fact]
    public void ClassWeights_Counts_FollowSqrtFormula()
    {
        // N = 10, counts 5, 3, 2 over 3 classes: w_i = sqrt(10 / (n_i * 3)).
        var labels = new[] { 0, 0, 0, 0, 0, 1, 1, 1, 2, 2 };
        var w = EdramLoss.ClassWeights(labels, 4);
        Assert.Equal(Math.Sqrt(10.0 / 20), w[0], 5);
        Assert.Equal(Math.Sqrt(10.0 / 12), w[1], 5);
        Assert.Equal(Math.Sqrt(10.0 / 8), w[2], 5);
        Assert.Equal(0f, w[3]); // absent class
    }

    [Fact]
    public void Compute_ZoomAtTarget_HasNoZoomLoss()
    {
        using var logits = zeros(2, 3, 4);
        var theta = new float[2 * 3 * 6];
        for (int i = 0; i < 6; i++) { theta[i * 6] = 0.35f; theta[i * 6 + 4] = 0.35f; theta[i * 6 + 2] = 0.9f; }
        using var output = new EdramOutput(logits, zeros(2, 3, 2), tensor(theta).view(2, 3, 6));
        using var loss = EdramLoss.Compute(output, tensor(new long[] { 0, 1 }), ones(4), null, new LossOptions());
        Assert.Equal(0f, loss.Zoom.item<float>(), 6);          // translation (0.9) is free
        Assert.Equal(Math.Log(4), loss.CrossEntropy.item<float>(), 4);
    }

    [Fact]
    public void Compute_ZoomOffTarget_AddsWeightedSquaredError()
    {
        var theta = new float[1 * 2 * 6];
        theta[0] = 1f; theta[4] = 1f; theta[6] = 0.35f; theta[10] = 0.35f;
        using var output = new EdramOutput(zeros(1, 2, 3), zeros(1, 2, 2), tensor(theta).view(1, 2, 6));
        using var loss = EdramLoss.Compute(output, tensor(new long[] { 0 }), ones(3), null, new LossOptions { ZoomWeight = 2f });
        // mean over (batch, step) of Σ zoom errors: ((0.65² + 0.65²) + 0) / 2 · 2
        Assert.Equal(2 * 0.65 * 0.65, loss.Zoom.item<float>(), 4);
    }

    [Fact]
    public void Compute_ZoomFromStep2_LeavesTheFirstGlimpseFree()
    {
        // Step 1 whole image (1.0), step 2 at 0.6: only step 2's error counts, averaged over the steps it covers.
        var theta = new float[1 * 2 * 6];
        theta[0] = 1f; theta[4] = 1f; theta[6] = 0.6f; theta[10] = 0.6f;
        using var output = new EdramOutput(zeros(1, 2, 3), zeros(1, 2, 2), tensor(theta).view(1, 2, 6));
        using var loss = EdramLoss.Compute(output, tensor(new long[] { 0 }), ones(3), null, new LossOptions { ZoomFromStep = 2 });
        Assert.Equal(2 * 0.25 * 0.25, loss.Zoom.item<float>(), 4);
        using var all = EdramLoss.Compute(output, tensor(new long[] { 0 }), ones(3), null, new LossOptions());
        Assert.Equal((2 * 0.65 * 0.65 + 2 * 0.25 * 0.25) / 2, all.Zoom.item<float>(), 4);
    }

    [Fact]
    public void Compute_ZoomFromStepBeyondTheGlimpses_IsAClearError()
    {
        using var output = new EdramOutput(zeros(1, 2, 3), zeros(1, 2, 2), zeros(1, 2, 6));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EdramLoss.Compute(output, tensor(new long[] { 0 }), ones(3), null, new LossOptions { ZoomFromStep = 3 }));
        Assert.Contains("2 glimpses", e.Message);
    }

    [Fact]
    public void Compute_ValenceArousal_IgnoresUnknownRows()
    {
        using var output = new EdramOutput(zeros(2, 1, 3), tensor(new float[] { 0.5f, 0.5f, 0f, 0f }).view(2, 1, 2), zeros(2, 1, 6));
        using var targets = tensor(new float[] { 0f, 0f, float.NaN, float.NaN }).view(2, 2);
        using var loss = EdramLoss.Compute(output, tensor(new long[] { 0, 1 }), ones(3), targets, new LossOptions());
        Assert.Equal(0.25 * 1.17 + 0.25 * 0.83, loss.ValenceArousal.item<float>(), 4);
        Assert.False(float.IsNaN(loss.Total.item<float>()));
    }
}
