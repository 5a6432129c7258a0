using EdramFer.Training.Data;
using EdramFer.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>Per-image outputs of an evaluation pass (last-step prediction, as the exported model reports).</summary>
public sealed record Predictions(int[] Predicted, float[][] Probabilities, float[][] ValenceArousal, float[][] Thetas);

/// <summary>Runs a model in eval mode over a preprocessed set and computes the metrics.</summary>
public static class Evaluator
{
    /// <summary>Pixels [offset, offset+count) of a set as (count, 1, S, S) float in [0, 1] — the network's input scaling.</summary>
    public static Tensor ToInput(PreprocessedSet set, int offset, int count, Device? device = null)
    {
        int s = set.Size;
        var slice = new byte[count * s * s];
        Array.Copy(set.Pixels, (long)offset * s * s, slice, 0, slice.Length);
        return PixelsToInput(slice, count, s, device);
    }

    /// <summary>count images of size² bytes → (count, 1, size, size) float in [0, 1] on <paramref name="device"/>.</summary>
    public static Tensor PixelsToInput(byte[] pixels, int count, int size, Device? device = null)
    {
        using var bytes = tensor(pixels, new long[] { count, 1, size, size });
        return bytes.to(ScalarType.Float32, device ?? CPU).div_(255f);
    }

    /// <summary>
    /// Evaluates every image; loss is the class-weighted training loss (with the same options) of the images as given.
    /// With <paramref name="flipAveraging"/> the probabilities and valence/arousal are the means over each image and its
    /// mirror, as an export with <c>OnnxExportOptions.FlipAveraging</c> computes; the glimpses are the image's own.
    /// </summary>
    public static (ClassificationMetrics Metrics, Predictions Predictions) Run(EdramNet model, PreprocessedSet set, IReadOnlyList<string> labels,
        float[] classWeights, LossOptions lossOptions, int batchSize = 256, Device? device = null, CancellationToken cancel = default,
        bool flipAveraging = false)
    {
        device ??= CPU;
        model.eval();
        int n = set.Count;
        var predicted = new int[n];
        var probs = new float[n][];
        var va = new float[n][];
        var thetas = new float[n][];
        double lossSum = 0;
        using var weights = tensor(classWeights, device: device);
        using (no_grad())
        {
            for (int start = 0; start < n; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int count = Math.Min(batchSize, n - start);
                var x = ToInput(set, start, count, device);
                var y = tensor(set.Labels.AsSpan(start, count).ToArray().Select(l => (long)l).ToArray(), device: device);
                var vaTarget = tensor(set.ValenceArousal.AsSpan(2 * start, 2 * count).ToArray(), new long[] { count, 2 }, device: device);
                using var output = model.forward(x);
                using var loss = EdramLoss.Compute(output, y, weights, set.HasValenceArousal ? vaTarget : null, lossOptions);
                lossSum += loss.Total.item<float>() * count;
                var last = output.StepLogits.select(1, output.StepLogits.shape[1] - 1).softmax(1);
                var vaOut = output.ValenceArousal.select(1, output.ValenceArousal.shape[1] - 1);
                if (flipAveraging)
                {
                    using var mirror = model.forward(x.flip(3)); // eval batch norm is per image: same as one batch of 2N
                    last = (last + mirror.StepLogits.select(1, mirror.StepLogits.shape[1] - 1).softmax(1)) * 0.5f;
                    vaOut = (vaOut + mirror.ValenceArousal.select(1, mirror.ValenceArousal.shape[1] - 1)) * 0.5f;
                }
                last = last.cpu();
                var p = last.data<float>().ToArray();
                var vaLast = vaOut.cpu().data<float>().ToArray();
                var th = output.Thetas.cpu().data<float>().ToArray();
                int c = (int)last.shape[1], steps = (int)output.Thetas.shape[1];
                for (int i = 0; i < count; i++)
                {
                    probs[start + i] = p.AsSpan(i * c, c).ToArray();
                    predicted[start + i] = ArgMax(probs[start + i]);
                    va[start + i] = vaLast.AsSpan(i * 2, 2).ToArray();
                    thetas[start + i] = th.AsSpan(i * steps * 6, steps * 6).ToArray();
                }
            }
        }
        List<(float, float, float, float)>? vaPairs = null;
        if (set.HasValenceArousal)
        {
            vaPairs = new();
            for (int i = 0; i < n; i++)
            {
                float tv = set.ValenceArousal[2 * i], ta = set.ValenceArousal[2 * i + 1];
                if (!float.IsNaN(tv) && !float.IsNaN(ta)) vaPairs.Add((tv, ta, va[i][0], va[i][1]));
            }
        }
        var metrics = ClassificationMetrics.From(labels, set.Labels, predicted, n == 0 ? 0 : lossSum / n, vaPairs);
        return (metrics, new Predictions(predicted, probs, va, thetas));
    }

    static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
