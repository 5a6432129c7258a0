using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>The result for one image path: label and probabilities (NaN when the image failed), status and error.</summary>
public sealed record ImageScore(string Label, float[] Probabilities, float Valence, float Arousal, bool FaceFound, string Error)
{
    /// <summary>The face that was scored, in source-image pixels (the largest one when there were several); null when none was found or not known.</summary>
    public FaceBox? Face { get; init; }
    /// <summary>Faces the winning detector found (0 when none or not known, e.g. through a saved pipeline).</summary>
    public int FaceCount { get; init; }
    /// <summary><see cref="RowStatus"/>: ok, no_face or error.</summary>
    public string Status { get; init; } = RowStatus.Ok;
}

/// <summary>Scores image files in batches; what <c>edram score</c> and <c>edram evaluate</c> run on.</summary>
public abstract class ImageBatchScorer : IDisposable
{
    /// <summary>The model's labels, in probability order.</summary>
    public abstract IReadOnlyList<string> Labels { get; }

    /// <summary>One result per path, in order; failed images give an error text, never an exception.</summary>
    public abstract IReadOnlyList<ImageScore> Score(IReadOnlyList<string> paths);

    /// <summary>Where the model runs, for messages.</summary>
    public abstract string Device { get; }

    /// <summary>True when the model's valence/arousal head was trained (else <see cref="ImageScore.Valence"/> is NaN).</summary>
    public abstract bool HasValenceArousal { get; }

    /// <summary>Releases the model.</summary>
    public abstract void Dispose();
}

/// <summary>
/// The fast path: EdramFer.Vision preprocessing in parallel, then ONNX Runtime in batches of <c>batchSize</c>
/// (ML.NET mappers score one row per Run call).
/// </summary>
public sealed class OnnxImageScorer(EdramScorer scorer, PreprocessOptions preprocess, int batchSize, int preprocessThreads = -1) : ImageBatchScorer
{
    private readonly FacePreprocessor _preprocessor = new(preprocess);

    /// <summary>The ONNX scorer.</summary>
    public EdramScorer Scorer { get; } = scorer;

    /// <inheritdoc />
    public override IReadOnlyList<string> Labels => Scorer.Info.Labels;

    /// <inheritdoc />
    public override string Device => Scorer.Device.FallbackReason is { } why ? $"{Scorer.Device.Name} ({why})" : Scorer.Device.Name;

    /// <inheritdoc />
    public override bool HasValenceArousal => Scorer.Info.HasValenceArousal;

    /// <inheritdoc />
    public override IReadOnlyList<ImageScore> Score(IReadOnlyList<string> paths)
    {
        var pre = _preprocessor.ProcessFiles(paths, preprocessThreads);
        var results = new ImageScore[paths.Count];
        for (var start = 0; start < paths.Count; start += batchSize)
        {
            var n = Math.Min(batchSize, paths.Count - start);
            var batch = Scorer.Score(Enumerable.Range(start, n).Select(i => pre[i].Pixels).ToList());
            for (var k = 0; k < n; k++)
            {
                var r = pre[start + k];
                var va = Scorer.Info.HasValenceArousal;
                results[start + k] = new ImageScore(
                    batch.Predicted[k] >= 0 ? Labels[batch.Predicted[k]] : "",
                    batch.ProbabilitiesOf(k).ToArray(),
                    va ? batch.ValenceArousal[2 * k] : float.NaN,
                    va ? batch.ValenceArousal[2 * k + 1] : float.NaN,
                    r.FaceFound,
                    r.HasPixels ? "" : r.Message)
                {
                    Face = r.FaceFound ? r.Face : null,
                    FaceCount = r.FaceFound ? Math.Max(1, r.FaceCount) : 0,
                    Status = RowStatus.Of(r.Status),
                };
            }
        }
        return results;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _preprocessor.Dispose();
        Scorer.Dispose();
    }
}

/// <summary>
/// A saved ML.NET pipeline (PreprocessFace + ApplyEdram, as <c>edram pipeline</c> writes) run through
/// <c>ITransformer.Transform</c> one chunk at a time.
/// </summary>
public sealed class PipelineImageScorer : ImageBatchScorer
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly SchemaDefinition _definition;
    private readonly string[] _labels;

    /// <summary>Loads <paramref name="zipPath"/>; its input schema must have exactly one text column (the image path).</summary>
    public PipelineImageScorer(string zipPath)
    {
        _ml = new MLContext(seed: 0);
        _model = EdramPipeline.Load(_ml, zipPath, out var inputSchema);
        var text = inputSchema.Where(c => c.Type is TextDataViewType).ToList();
        if (text.Count != 1)
            throw new InvalidDataException($"'{zipPath}': expected a pipeline with one text (image path) input column, found {text.Count}");
        InputColumn = text[0].Name;
        _definition = SchemaDefinition.Create(typeof(PathRow));
        _definition[nameof(PathRow.Path)].ColumnName = InputColumn;
        var output = _model.GetOutputSchema(inputSchema);
        foreach (var name in new[] { "Score", "PredictedLabel", "Valence", "Arousal", "FaceFound", "PreprocessStatus", "Error" })
            if (output.GetColumnOrNull(name) is null)
                throw new InvalidDataException($"'{zipPath}': the pipeline has no '{name}' output column (expected PreprocessFace + ApplyEdram)");
        VBuffer<ReadOnlyMemory<char>> names = default;
        output["Score"].GetSlotNames(ref names);
        _labels = names.DenseValues().Select(n => n.ToString()).ToArray();
        var scoring = EdramPipeline.FindScoring(_ml, _model);
        Device = scoring.Count == 1 && scoring[0].GpuDeviceId is int id ? $"cuda:{id}{(scoring[0].FallbackToCpu ? " or cpu" : "")}" : "cpu";
        HasValenceArousal = scoring.Count == 1 && scoring[0].HasValenceArousal;
    }

    /// <summary>The pipeline's image-path column.</summary>
    public string InputColumn { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> Labels => _labels;

    /// <inheritdoc />
    public override string Device { get; }

    /// <inheritdoc />
    public override bool HasValenceArousal { get; }

    /// <inheritdoc />
    public override IReadOnlyList<ImageScore> Score(IReadOnlyList<string> paths)
    {
        var view = _ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { Path = p }).ToList(), _definition);
        return _ml.Data.CreateEnumerable<ScoredRow>(_model.Transform(view), reuseRowObject: false)
            .Select(r => new ImageScore(r.PredictedLabel > 0 ? _labels[r.PredictedLabel - 1] : "", r.Score, r.Valence, r.Arousal, r.FaceFound, r.Error)
            {
                Status = Enum.TryParse<PreprocessStatus>(r.PreprocessStatus, out var status) ? RowStatus.Of(status) : r.Error.Length > 0 ? RowStatus.Error : RowStatus.Ok,
            })
            .ToList();
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        (_model as IDisposable)?.Dispose();
    }

    private sealed class PathRow
    {
        public string Path { get; set; } = "";
    }

    private sealed class ScoredRow
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
        public float Valence { get; set; }
        public float Arousal { get; set; }
        public bool FaceFound { get; set; }
        public string PreprocessStatus { get; set; } = "";
        public string Error { get; set; } = "";
    }
}
