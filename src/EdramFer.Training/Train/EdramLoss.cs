using EdramFer.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>Loss terms of one batch (scalars); the caller disposes them.</summary>
public sealed record LossTerms(Tensor Total, Tensor CrossEntropy, Tensor Zoom, Tensor ValenceArousal) : IDisposable
{
    public void Dispose() { Total.Dispose(); CrossEntropy.Dispose(); Zoom.Dispose(); ValenceArousal.Dispose(); }
}

/// <summary>Loss settings. Defaults follow the seed paper.</summary>
public sealed record LossOptions
{
    /// <summary>Cross-entropy after every glimpse (EDRAM) or after the last one only.</summary>
    public bool EveryStep { get; init; } = true;
    /// <summary>Target zoom (seed paper: 0.35): of the glimpse scale (bounded emission) or of θ00 and θ11 (affine); location stays free.</summary>
    public float TargetZoom { get; init; } = 0.35f;
    /// <summary>Weight of the squared zoom error (tEDRAM localisation weights [1,0,0,0,1,0]).</summary>
    public float ZoomWeight { get; init; } = 1f;
    /// <summary>First glimpse (1-based) the zoom loss applies to; 2 leaves the first glimpse free to take in the whole face.</summary>
    public int ZoomFromStep { get; init; } = 1;
    /// <summary>Label smoothing ε: the target is (1 − ε) on the true class plus ε spread evenly over all classes (0: none).</summary>
    public float LabelSmoothing { get; init; }
    /// <summary>Weights of the valence and arousal squared errors (tEDRAM: 1.17, 0.83).</summary>
    public float[] ValenceArousalWeights { get; init; } = [1.17f, 0.83f];
}

/// <summary>Class-weighted cross-entropy + zoom loss + valence/arousal MSE.</summary>
public static class EdramLoss
{
    /// <summary>w_i = sqrt(N_total / (N_i · n_classes)); classes absent from the data get weight 0.</summary>
    public static float[] ClassWeights(IReadOnlyList<int> labels, int classes)
    {
        var counts = new long[classes];
        foreach (var l in labels) counts[l]++;
        double total = labels.Count;
        return counts.Select(n => n == 0 ? 0f : (float)Math.Sqrt(total / (n * (double)classes))).ToArray();
    }

    /// <param name="output">Network output.</param>
    /// <param name="labels">(B) int64 class indices.</param>
    /// <param name="classWeights">(C) float.</param>
    /// <param name="valenceArousal">(B, 2) targets, NaN where unknown (those rows add no VA loss).</param>
    /// <param name="options">Which steps the losses cover, their weights and label smoothing.</param>
    public static LossTerms Compute(EdramOutput output, Tensor labels, Tensor classWeights, Tensor? valenceArousal, LossOptions options)
    {
        using var scope = NewDisposeScope();
        var logits = output.StepLogits;                       // (B, T, C)
        long b = logits.shape[0], t = logits.shape[1], c = logits.shape[2];
        var (ceLogits, ceLabels) = options.EveryStep ? (logits.reshape(b * t, c), labels.repeat_interleave(t)) : (logits.select(1, t - 1), labels);
        Tensor ce = options.LabelSmoothing > 0
            ? SmoothedCrossEntropy(ceLogits, ceLabels, classWeights, options.LabelSmoothing)
            : nn.functional.cross_entropy(ceLogits, ceLabels, weight: classWeights);
        var zooms = output.Zooms ?? output.Thetas.index_select(2, tensor(new long[] { 0, 4 }, device: logits.device)); // (B, T, 2)
        if (options.ZoomFromStep < 1 || options.ZoomFromStep > t)
            throw new ArgumentOutOfRangeException(nameof(options), $"The zoom loss starts at glimpse {options.ZoomFromStep}, but the model takes {t} glimpses.");
        if (options.ZoomFromStep > 1) zooms = zooms.narrow(1, options.ZoomFromStep - 1, t - options.ZoomFromStep + 1);
        var zoom = (zooms - options.TargetZoom).square().sum(2).mean() * options.ZoomWeight;
        Tensor va = zeros(1, device: logits.device).squeeze();
        if (valenceArousal is not null)
        {
            var known = valenceArousal.isnan().logical_not().all(1);                  // (B)
            if (known.any().item<bool>())
            {
                var pred = output.ValenceArousal.select(1, t - 1)[known];               // (K, 2)
                var w = tensor(options.ValenceArousalWeights, device: logits.device);
                va = ((pred - valenceArousal[known]).square() * w).sum(1).mean();
            }
        }
        var total = ce + zoom + va;
        return new LossTerms(total.MoveToOuterDisposeScope(), ce.MoveToOuterDisposeScope(), zoom.MoveToOuterDisposeScope(), va.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Class-weighted cross-entropy against smoothed targets, as PyTorch's cross_entropy(weight, label_smoothing) with
    /// mean reduction: Σ_i [(1 − ε)·w_yi·(−log p_i,yi) + ε/C·Σ_c w_c·(−log p_i,c)] / Σ_i w_yi.
    /// </summary>
    internal static Tensor SmoothedCrossEntropy(Tensor logits, Tensor labels, Tensor classWeights, float epsilon)
    {
        using var scope = NewDisposeScope();
        var logp = nn.functional.log_softmax(logits, 1);                     // (N, C)
        var w = classWeights.index_select(0, labels);                          // (N)
        var nll = -logp.gather(1, labels.unsqueeze(1)).squeeze(1) * w;         // (N)
        var spread = -(logp * classWeights).sum(1) / logits.shape[1];          // (N)
        return (((1 - epsilon) * nll + epsilon * spread).sum() / w.sum()).MoveToOuterDisposeScope();
    }
}
