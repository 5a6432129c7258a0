using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;

namespace EdramFer.Analysis;

/// <summary>One preprocessed image and everything the model says about it, glimpse by glimpse.</summary>
/// <param name="Source">the image path (or name)</param>
/// <param name="Pixels">the preprocessed crop the model saw (S×S grey, row-major)</param>
/// <param name="Probabilities">final class probabilities [C]</param>
/// <param name="ValenceArousal">valence, arousal (meaningful only when the model's head was trained)</param>
/// <param name="Glimpses">θ per step [T×6]</param>
/// <param name="StepProbabilities">class probabilities after each glimpse [T×C]</param>
/// <param name="Preprocess">what preprocessing did (face found, detector, message)</param>
public sealed record GlimpseTrace(string Source, byte[] Pixels, float[] Probabilities, float[] ValenceArousal, float[] Glimpses,
    float[] StepProbabilities, PreprocessResult Preprocess)
{
    /// <summary>Number of glimpses.</summary>
    public int Steps => Glimpses.Length / GlimpseGeometry.ThetaLength;
    /// <summary>Number of classes.</summary>
    public int Classes => Probabilities.Length;
    /// <summary>θ of step <paramref name="t"/> (0-based).</summary>
    public ReadOnlySpan<float> Theta(int t) => Glimpses.AsSpan(t * GlimpseGeometry.ThetaLength, GlimpseGeometry.ThetaLength);
    /// <summary>Probabilities after step <paramref name="t"/> (0-based).</summary>
    public ReadOnlySpan<float> StepProbabilitiesOf(int t) => StepProbabilities.AsSpan(t * Classes, Classes);
    /// <summary>Final predicted class index.</summary>
    public int Predicted => EdramScorer.ArgMax(Probabilities);
    /// <summary>Predicted class index after step <paramref name="t"/>.</summary>
    public int PredictedAt(int t) => EdramScorer.ArgMax(StepProbabilitiesOf(t));
}

/// <summary>
/// Runs an EDRAM ONNX model and keeps all four outputs, <c>step_probabilities</c> included (the scan path shows the
/// prediction after every glimpse). Model checks, device choice and inference are EdramFer.ML's <see cref="EdramScorer"/>.
/// </summary>
public sealed class GlimpseScorer : IDisposable
{
    private readonly EdramScorer _scorer;

    private GlimpseScorer(EdramScorer scorer)
    {
        _scorer = scorer;
        var info = scorer.Info;
        AlignCorners = OnnxContract.IsTrue(info.Metadata, OnnxContract.Metadata.AlignCorners);
        IsRandomWeights = info.Metadata.GetValueOrDefault(OnnxContract.Metadata.TrainingData) == OnnxContract.RandomWeightsTrainingData;
    }

    /// <summary>Labels, steps, input size and preprocessing of the model.</summary>
    public EdramModelInfo Info => _scorer.Info;
    /// <summary>Where the session runs.</summary>
    public SessionDevice Device => _scorer.Device;
    /// <summary>The model's <c>edram.align_corners</c> (how θ's normalised coordinates map to pixels).</summary>
    public bool AlignCorners { get; }
    /// <summary>True when the model's metadata says it was never trained (<c>edram.training_data</c> "none (random weights)").</summary>
    public bool IsRandomWeights { get; }

    /// <summary>Opens and checks <paramref name="modelFile"/> (an EDRAM export with all four outputs); GPU fallback as <see cref="EdramScorer.Load"/>.</summary>
    public static GlimpseScorer Load(string modelFile, int? gpuDeviceId = null, bool fallbackToCpu = false, int intraOpThreads = 0) =>
        new(EdramScorer.Load(modelFile, gpuDeviceId, fallbackToCpu, intraOpThreads));

    /// <summary>
    /// Scores preprocessed images (each S×S bytes); results in order. Entries without pixels (preprocessing failed)
    /// give null.
    /// </summary>
    public IReadOnlyList<GlimpseTrace?> Score(IReadOnlyList<PreprocessResult> images, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "at least 1");
        int s = Info.InputSize, px = s * s, c = Info.Labels.Count, t = Info.Steps;
        var results = new GlimpseTrace?[images.Count];
        var rows = Enumerable.Range(0, images.Count).Where(i => images[i].Pixels is { Length: > 0 }).ToList();
        foreach (var i in rows)
            if (images[i].Pixels!.Length != px)
                throw new ArgumentException($"image {i} ({images[i].Source}) has {images[i].Pixels!.Length} pixels, expected {s}x{s} = {px}", nameof(images));
        for (var start = 0; start < rows.Count; start += batchSize)
        {
            var n = Math.Min(batchSize, rows.Count - start);
            var packed = new byte[n * px];
            for (var k = 0; k < n; k++) images[rows[start + k]].Pixels!.CopyTo(packed, k * px);
            float[] probs = new float[n * c], va = new float[n * 2], glimpses = new float[n * t * 6], stepProbs = new float[n * t * c];
            _scorer.Run(packed, n, probs, va, glimpses, stepProbs);
            for (var k = 0; k < n; k++)
            {
                var r = images[rows[start + k]];
                results[rows[start + k]] = new GlimpseTrace(r.Source, r.Pixels!, probs.AsSpan(k * c, c).ToArray(), va.AsSpan(k * 2, 2).ToArray(),
                    glimpses.AsSpan(k * t * 6, t * 6).ToArray(), stepProbs.AsSpan(k * t * c, t * c).ToArray(), r);
            }
        }
        return results;
    }

    /// <summary>Releases the session.</summary>
    public void Dispose() => _scorer.Dispose();
}
