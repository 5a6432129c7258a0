using EdramFer.Training.Data;
using EdramFer.Training.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>
/// "Precise batch norm" (Wu &amp; Johnson 2021): after an epoch, every batch norm's running statistics are recomputed
/// as the plain average over a fixed set of training batches, with the final weights. The exponential moving average
/// kept during training mixes statistics of many earlier weights; with per-step batch norms behind a moving glimpse
/// those lag the glimpses the model now takes, and evaluation (which uses the running statistics) drifts from
/// training. The batches are unaugmented (evaluation sees unaugmented images) and the same every epoch.
/// </summary>
public static class BatchNormRecalibration
{
    /// <summary>Recomputes the running statistics of <paramref name="model"/> from <paramref name="batches"/> batches.</summary>
    /// <returns>The number of batches used (fewer when the set is small; 0 leaves the statistics as they were).</returns>
    public static int Run(EdramNet model, PreprocessedSet train, int batches, int batchSize, int seed, Device device, CancellationToken cancel = default)
    {
        batches = Math.Min(batches, train.Count / batchSize);
        if (batches <= 0) return 0;
        var norms = model.modules().OfType<BatchNorm>().ToList();
        var momenta = norms.Select(n => n.momentum).ToList();
        var order = Trainer.Shuffle(train.Count, seed, -1);   // not an epoch's permutation: fixed for the whole run
        try
        {
            foreach (var n in norms) n.reset_running_stats();
            model.train();
            using var _ = no_grad();
            for (int b = 0; b < batches; b++)
            {
                cancel.ThrowIfCancellationRequested();
                // Momentum 1/(b+1) turns the moving average into the exact mean over the batches seen so far.
                foreach (var n in norms) n.momentum = 1.0 / (b + 1);
                using var scope = NewDisposeScope();
                var x = Trainer.Gather(train, order.AsSpan(b * batchSize, batchSize), device).X;
                using var output = model.forward(x);
            }
        }
        finally
        {
            for (int i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
        }
        return batches;
    }
}
