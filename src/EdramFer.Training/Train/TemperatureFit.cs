using EdramFer.Contracts;
using EdramFer.Training.Data;
using EdramFer.Training.Model;
using EdramFer.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>
/// Temperature scaling (Guo et al. 2017) of a trained model: the T that makes softmax(logits / T) of the last step fit
/// the validation labels best, with the logits of each image and, for a mirror-averaged export, of its mirror image
/// (the export divides each branch's logits by T before averaging).
/// </summary>
public static class TemperatureFit
{
    /// <summary>The validation split a run selected its epochs on (same dataset, split seed and preprocessing), preprocessed (cached).</summary>
    /// <param name="state">the checkpoint's state</param>
    /// <param name="dataset">the dataset spec; null: the one the run was trained on</param>
    /// <param name="cacheDir">preprocessed-image cache folder</param>
    /// <param name="cancel">stops preprocessing between images</param>
    public static PreprocessedSet ValidationSet(TrainState state, string? dataset, string cacheDir, CancellationToken cancel = default)
    {
        var o = state.Options;
        var description = o.ReadDataset(dataset);
        if (!description.Labels.SequenceEqual(state.Labels))
            throw new InvalidDataException($"The calibration data's labels ({string.Join(",", description.Labels)}) are not the model's ({string.Join(",", state.Labels)}).");
        if (description.Validation.Samples.Count == 0)
            throw new InvalidDataException($"'{dataset ?? o.Dataset}' has no validation split to calibrate on.");
        return PreprocessedSet.Load(description.Validation.Samples, PreprocessOptions.FromMetadata(o.Preprocess), cacheDir, cancel: cancel);
    }

    /// <summary>Fits the temperature of <paramref name="model"/> (eval, no grad) on <paramref name="set"/>.</summary>
    public static double Fit(EdramNet model, PreprocessedSet set, bool flipAveraging, int batchSize = 256, CancellationToken cancel = default)
    {
        var device = model.parameters().First().device;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var plain = new List<float[]>(set.Count);
            var mirrored = new List<float[]>(flipAveraging ? set.Count : 0);
            using var noGrad = no_grad();
            for (int offset = 0; offset < set.Count; offset += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var x = Evaluator.ToInput(set, offset, Math.Min(batchSize, set.Count - offset), device);
                plain.AddRange(LastLogits(model, x));
                if (flipAveraging) mirrored.AddRange(LastLogits(model, x.flip(3)));
            }
            return Calibration.FitTemperature(flipAveraging ? [plain, mirrored] : [plain], set.Labels);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private static IEnumerable<float[]> LastLogits(EdramNet model, Tensor x)
    {
        using var output = model.forward(x);
        var logits = output.StepLogits.select(1, output.StepLogits.shape[1] - 1).cpu();
        int n = (int)logits.shape[0], c = (int)logits.shape[1];
        var flat = logits.data<float>().ToArray();
        return Enumerable.Range(0, n).Select(i => flat.AsSpan(i * c, c).ToArray()).ToList();
    }
}
