namespace EdramFer.Training.Train;

/// <summary>
/// The learning-rate schedules: reduce-on-plateau on the validation loss (the seed paper's, per epoch), or a linear
/// warm-up then a cosine decay to <see cref="TrainOptions.MinLearningRate"/> over the run (per batch). Both are
/// functions of the run's position, so a resumed run continues on the same curve.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>Reduce on plateau.</summary>
    public const string Plateau = "plateau";
    /// <summary>Warm-up, then cosine decay.</summary>
    public const string Cosine = "cosine";

    /// <summary>The cosine schedule's rate for batch <paramref name="batch"/> of epoch <paramref name="epoch"/> (both 0-based).</summary>
    public static double CosineAt(TrainOptions o, int epoch, int batch, int batches)
    {
        double step = (double)epoch * batches + batch, total = (double)o.Epochs * batches;
        double warmup = Math.Min(o.WarmupEpochs * batches, total - 1);
        if (step < warmup) return o.LearningRate * (step + 1) / warmup;
        var progress = Math.Clamp((step - warmup) / Math.Max(1, total - warmup), 0, 1);
        return o.MinLearningRate + (o.LearningRate - o.MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
