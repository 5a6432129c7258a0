using EdramFer.Vision;

namespace EdramFer.Analysis;

/// <summary>
/// Accumulates the attention statistics one chunk of labelled images at a time, so a caller that streams its input
/// (the CLI's CSV run) and <see cref="AttentionAnalysis.Run"/> share one scoring path: preprocess the model's way,
/// score, add each trace to the maps.
/// </summary>
public sealed class AttentionCollector : IDisposable
{
    private readonly GlimpseScorer _scorer;
    private readonly FacePreprocessor _preprocessor;
    private readonly AttentionAccumulator _acc;
    private readonly Dictionary<string, int> _index;
    private readonly int _batchSize;
    private readonly int _threads;
    private readonly List<(GlimpseTrace, int)> _traces = [];
    private readonly List<(string, string)> _skipped = [];
    private readonly IFaceLandmarkProvider? _landmarks;
    private readonly int _size;

    /// <summary>Collects for <paramref name="scorer"/>'s labels with <paramref name="preprocess"/> (the model's preprocessing, usually).
    /// With <paramref name="landmarks"/>, each image's regions come from its landmarks (<see cref="LandmarkRegions"/>);
    /// images without a usable face keep <paramref name="regions"/>.</summary>
    public AttentionCollector(GlimpseScorer scorer, PreprocessOptions preprocess, FaceRegions? regions = null, int batchSize = 32, int threads = -1,
        IFaceLandmarkProvider? landmarks = null)
    {
        _landmarks = landmarks;
        ArgumentNullException.ThrowIfNull(scorer);
        _scorer = scorer;
        var labels = scorer.Info.Labels;
        _index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.OrdinalIgnoreCase);
        var size = _size = scorer.Info.InputSize;
        _acc = new AttentionAccumulator(labels, scorer.Info.Steps, size, (regions ?? FaceRegions.Fer2013).ScaledTo(size), scorer.AlignCorners);
        _preprocessor = new FacePreprocessor(preprocess);
        _batchSize = Math.Max(1, batchSize);
        _threads = threads;
    }

    /// <summary>Throws naming up to five labels that are not among the model's (matched ignoring case and surrounding spaces).</summary>
    public void CheckLabels(IEnumerable<string> labels)
    {
        var unknown = labels.Select(l => l.Trim()).Where(l => !_index.ContainsKey(l)).Distinct().Take(5).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"labels {string.Join(", ", unknown.Select(u => $"'{u}'"))} are not among the model's ({string.Join(", ", _scorer.Info.Labels)})");
    }

    /// <summary>Preprocesses and scores <paramref name="images"/> and adds them; images that fail preprocessing are recorded as skipped.</summary>
    public void Add(IReadOnlyList<LabeledImage> images)
    {
        CheckLabels(images.Select(i => i.Label));
        var pre = _preprocessor.ProcessFiles(images.Select(p => p.Path).ToList(), _threads);
        var scored = _scorer.Score(pre, _batchSize);
        for (var i = 0; i < images.Count; i++)
        {
            if (scored[i] is not { } trace)
            {
                _skipped.Add((images[i].Path, pre[i].Message));
                continue;
            }
            var label = _index[images[i].Label.Trim()];
            var stepPredicted = Enumerable.Range(0, trace.Steps).Select(trace.PredictedAt).ToArray();
            _acc.Add(images[i].Path, trace.Pixels, label, trace.Glimpses, trace.Predicted, stepPredicted, LandmarkRegions.Locate(_landmarks, trace.Pixels, _size));
            _traces.Add((trace, label));
        }
    }

    /// <summary>The summary and every trace added so far.</summary>
    public AttentionRun Build() => new(_acc.Build(), _traces, _skipped);

    /// <summary>Releases the preprocessor (the scorer belongs to the caller).</summary>
    public void Dispose() => _preprocessor.Dispose();
}
