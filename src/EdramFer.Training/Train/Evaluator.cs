using EdramFer.Contracts;
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
        var (plain, mirrored) = Evaluate(model, set, labels, classWeights, lossOptions, batchSize, device, cancel, flipAveraging);
        return mirrored ?? plain;
    }

    /// <summary>Both evaluations of <see cref="Run"/> (plain, then mirror-averaged) from one pass over the images.</summary>
    public static ((ClassificationMetrics Metrics, Predictions Predictions) Plain, (ClassificationMetrics Metrics, Predictions Predictions) Mirrored)
        RunWithMirror(EdramNet model, PreprocessedSet set, IReadOnlyList<string> labels, float[] classWeights, LossOptions lossOptions,
            int batchSize = 256, Device? device = null, CancellationToken cancel = default)
    {
        var (plain, mirrored) = Evaluate(model, set, labels, classWeights, lossOptions, batchSize, device, cancel, mirror: true);
        return (plain, mirrored!.Value);
    }

    static ((ClassificationMetrics, Predictions) Plain, (ClassificationMetrics, Predictions)? Mirrored) Evaluate(EdramNet model,
        PreprocessedSet set, IReadOnlyList<string> labels, float[] classWeights, LossOptions lossOptions, int batchSize, Device? device,
        CancellationToken cancel, bool mirror)
    {
        device ??= CPU;
        model.eval();
        int n = set.Count;
        var plain = new Collected(n);
        var mirrored = mirror ? new Collected(n) : null;
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
                plain.Add(start, count, last, vaOut);
                if (mirrored is not null)
                {
                    using var flipped = model.forward(x.flip(3)); // eval batch norm is per image: same as one batch of 2N
                    mirrored.Add(start, count, (last + flipped.StepLogits.select(1, flipped.StepLogits.shape[1] - 1).softmax(1)) * 0.5f,
                        (vaOut + flipped.ValenceArousal.select(1, flipped.ValenceArousal.shape[1] - 1)) * 0.5f);
                }
                var th = output.Thetas.cpu().data<float>().ToArray();
                int steps = (int)output.Thetas.shape[1];
                for (int i = 0; i < count; i++) thetas[start + i] = th.AsSpan(i * steps * 6, steps * 6).ToArray();
            }
        }
        double meanLoss = n == 0 ? 0 : lossSum / n;
        return (plain.Result(set, labels, meanLoss, thetas), mirrored?.Result(set, labels, meanLoss, thetas));
    }

    /// <summary>Per-image last-step probabilities and valence/arousal of one evaluation mode.</summary>
    sealed class Collected(int n)
    {
        readonly int[] _predicted = new int[n];
        readonly float[][] _probs = new float[n][];
        readonly float[][] _va = new float[n][];

        public void Add(int start, int count, Tensor probabilities, Tensor valenceArousal)
        {
            var p = probabilities.cpu().data<float>().ToArray();
            var va = valenceArousal.cpu().data<float>().ToArray();
            int c = (int)probabilities.shape[1];
            for (int i = 0; i < count; i++)
            {
                _probs[start + i] = p.AsSpan(i * c, c).ToArray();
                _predicted[start + i] = ArgMax(_probs[start + i]);
                _va[start + i] = va.AsSpan(i * 2, 2).ToArray();
            }
        }

        public (ClassificationMetrics, Predictions) Result(PreprocessedSet set, IReadOnlyList<string> labels, double loss, float[][] thetas)
        {
            List<(float, float, float, float)>? vaPairs = null;
            if (set.HasValenceArousal)
            {
                vaPairs = new();
                for (int i = 0; i < set.Count; i++)
                {
                    float tv = set.ValenceArousal[2 * i], ta = set.ValenceArousal[2 * i + 1];
                    if (!float.IsNaN(tv) && !float.IsNaN(ta)) vaPairs.Add((tv, ta, _va[i][0], _va[i][1]));
                }
            }
            return (ClassificationMetrics.From(labels, set.Labels, _predicted, loss, vaPairs), new Predictions(_predicted, _probs, _va, thetas));
        }
    }

    static int ArgMax(float[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
