using EdramFer.Contracts;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML;

/// <summary>The result for one image path: label and probabilities (NaN when the image failed), status and error.</summary>
public sealed record ImageScore(string Label, float[] Probabilities, float Valence, float Arousal, bool FaceFound, string Error)
{
    /// <summary>The face that was scored, in source-image pixels (the whole image without detection); null when none was found or not known.</summary>
    public FaceBox? Face { get; init; }
    /// <summary>Faces the winning detector found (1 without detection, 0 when none); -1 when not known (a saved pipeline does not report it).</summary>
    public int FaceCount { get; init; }
    /// <summary>Which face of the image this is, 0 = the largest.</summary>
    public int FaceIndex { get; init; }
    /// <summary>The detector that found the face; null when detection was off (<see cref="Face"/> is then the whole image), none found it or it is not known.</summary>
    public DetectorKind? Detector { get; init; }
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
/// The fast path: EdramFer.Vision preprocessing in parallel, overlapped with ONNX Runtime scoring in batches of
/// <c>batchSize</c> (ML.NET mappers score one row per Run call).
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
    public override IReadOnlyList<ImageScore> Score(IReadOnlyList<string> paths) => ScoreFaces(paths, 1).Select(faces => faces[0]).ToList();

    /// <summary>
    /// One list per path: a score for every detected face, largest first, at most <paramref name="maxFaces"/>; a single
    /// entry when the image has no face or fails. Pipelined: while ONNX Runtime scores one batch of paths, the next
    /// batch is decoded, detected and cropped on worker threads (one batch ahead: memory stays bounded, order kept).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<ImageScore>> ScoreFaces(IReadOnlyList<string> paths, int maxFaces)
    {
        ArgumentNullException.ThrowIfNull(paths);
        Task<IReadOnlyList<IReadOnlyList<PreprocessResult>>> Prepare(int start) => Task.Run(() =>
            _preprocessor.ProcessFilesFaces(paths.Skip(start).Take(batchSize).ToList(), maxFaces, preprocessThreads));
        var grouped = new List<IReadOnlyList<ImageScore>>(paths.Count);
        var next = paths.Count > 0 ? Prepare(0) : null;
        try
        {
            for (var start = 0; next is not null; start += batchSize)
            {
                var prepared = next.GetAwaiter().GetResult();
                next = start + batchSize < paths.Count ? Prepare(start + batchSize) : null;
                grouped.AddRange(ScorePrepared(prepared));
            }
        }
        finally
        {
            // Scoring failed with a batch still in preparation: wait for it, so no worker outlives the call.
            if (next is not null) ((IAsyncResult)next).AsyncWaitHandle.WaitOne();
        }
        return grouped;
    }

    /// <summary>Scores preprocessed faces in batches of <c>batchSize</c>, grouped back by image.</summary>
    private IEnumerable<IReadOnlyList<ImageScore>> ScorePrepared(IReadOnlyList<IReadOnlyList<PreprocessResult>> pre)
    {
        var flat = pre.SelectMany(faces => faces).ToList();
        var scores = new ImageScore[flat.Count];
        for (var start = 0; start < flat.Count; start += batchSize)
        {
            var n = Math.Min(batchSize, flat.Count - start);
            var batch = Scorer.Score(Enumerable.Range(start, n).Select(i => flat[i].Pixels).ToList());
            for (var k = 0; k < n; k++) scores[start + k] = ToScore(flat[start + k], batch, k);
        }
        for (int i = 0, next = 0; i < pre.Count; next += pre[i].Count, i++) yield return scores.AsSpan(next, pre[i].Count).ToArray();
    }

    private ImageScore ToScore(PreprocessResult r, EdramBatchResult batch, int k)
    {
        var va = Scorer.Info.HasValenceArousal;
        var scored = r.Status is PreprocessStatus.Ok;
        return new ImageScore(
            batch.Predicted[k] >= 0 ? Labels[batch.Predicted[k]] : "",
            batch.ProbabilitiesOf(k).ToArray(),
            va ? batch.ValenceArousal[2 * k] : float.NaN,
            va ? batch.ValenceArousal[2 * k + 1] : float.NaN,
            r.FaceFound,
            r.HasPixels ? "" : r.Message)
        {
            Face = scored ? r.Face : null,
            FaceCount = scored ? Math.Max(1, r.FaceCount) : 0,
            FaceIndex = r.FaceIndex,
            Detector = scored ? r.Detector : null,
            Status = r.Status.ToRowStatus(),
        };
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
    private readonly EdramModel _model;
    private readonly SchemaDefinition _definition;
    private readonly string[] _labels;

    /// <summary>
    /// Loads <paramref name="zipPath"/> with <c>mlContext.Model.LoadEdram</c>; its input schema must have exactly one text
    /// column (the image path). Disposing the scorer releases the pipeline's ONNX sessions and detectors.
    /// </summary>
    public PipelineImageScorer(string zipPath)
    {
        _ml = new MLContext(seed: 0);
        _model = _ml.Model.LoadEdram(zipPath);
        try
        {
            (InputColumn, _labels) = Check(_model, zipPath);
        }
        catch
        {
            _model.Dispose();
            throw;
        }
        _definition = SchemaDefinition.Create(typeof(PathRow));
        _definition[nameof(PathRow.Path)].ColumnName = InputColumn;
        var scoring = _model.Scoring;
        var devices = _model.Devices;
        Device = devices.Count == 1 ? devices[0].FallbackReason is { } why ? $"{devices[0].Name} ({why})" : devices[0].Name : "cpu";
        HasValenceArousal = scoring.Count == 1 && scoring[0].HasValenceArousal;
    }

    /// <summary>The image-path column and the labels of a loaded pipeline; throws naming the zip when it is not PreprocessFace + ApplyEdram.</summary>
    private static (string Column, string[] Labels) Check(EdramModel model, string zipPath)
    {
        var inputSchema = model.InputSchema;
        var text = inputSchema.Where(c => c.Type is TextDataViewType).ToList();
        if (text.Count != 1)
            throw new InvalidDataException($"'{zipPath}': expected a pipeline with one text (image path) input column, found {text.Count}");
        if (!model.IsRowToRowMapper)
            throw new InvalidDataException($"'{zipPath}': the pipeline gives one row per face (FaceCroppingOptions.Faces = All), not one per image; " +
                                           "score every face with the .onnx model and --faces all");
        var output = model.GetOutputSchema(inputSchema);
        foreach (var name in new[] { "Score", "PredictedLabel", "Valence", "Arousal", "FaceFound", "PreprocessStatus", "Error" })
            if (output.GetColumnOrNull(name) is null)
                throw new InvalidDataException($"'{zipPath}': the pipeline has no '{name}' output column (expected PreprocessFace + ApplyEdram)");
        VBuffer<ReadOnlyMemory<char>> names = default;
        output["Score"].GetSlotNames(ref names);
        return (text[0].Name, names.DenseValues().Select(n => n.ToString()).ToArray());
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
                FaceCount = -1,
                Status = Enum.TryParse<PreprocessStatus>(r.PreprocessStatus, out var status) ? status.ToRowStatus() : r.Error.Length > 0 ? RowStatus.Error : RowStatus.Ok,
            })
            .ToList();
    }

    /// <inheritdoc />
    public override void Dispose() => _model.Dispose();

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
