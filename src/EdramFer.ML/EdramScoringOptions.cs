using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace EdramFer.ML;

/// <summary>Options of <c>ApplyEdram</c>.</summary>
public sealed record EdramScoringOptions
{
    /// <summary>The EDRAM ONNX model file. Saved pipelines keep its path and SHA-256, not its bytes (see <see cref="EdramScoringEstimator"/>).</summary>
    public string ModelFile { get; init; } = "";
    /// <summary>The old name of <see cref="ModelFile"/>.</summary>
    [Obsolete("Use ModelFile (ML.NET's name for a model file, as in ApplyOnnxModel's modelFile).")]
    public string ModelPath { get => ModelFile; init => ModelFile = value; }
    /// <summary>Input column: <c>Vector&lt;Byte&gt;</c> of input-size² preprocessed pixels (output of PreprocessFace); empty = a failed row.</summary>
    public string InputColumnName { get; init; } = "Face";
    /// <summary>Key column whose key values are the model's labels; missing key (0) for failed rows.</summary>
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    /// <summary><c>Vector&lt;Single, C&gt;</c> of class probabilities, slot names = labels; NaN for failed rows.</summary>
    public string ScoreColumnName { get; init; } = "Score";
    /// <summary>Single; NaN for failed rows and for models whose valence/arousal head was not trained.</summary>
    public string ValenceColumnName { get; init; } = "Valence";
    /// <summary>Single; NaN like <see cref="ValenceColumnName"/>.</summary>
    public string ArousalColumnName { get; init; } = "Arousal";
    /// <summary><c>Vector&lt;Single&gt;</c> of steps × 6 affine values (θ00 θ01 θ02 θ10 θ11 θ12 per glimpse); empty for failed rows.</summary>
    public string GlimpsesColumnName { get; init; } = "Glimpses";
    /// <summary>CUDA device for ONNX Runtime; null = CPU. Kept by saved pipelines.</summary>
    public int? GpuDeviceId { get; init; }
    /// <summary>
    /// Run on CPU when the GPU is unavailable (no CUDA libraries, provider failure); false, as in ML.NET's ApplyOnnxModel,
    /// fails instead. The fitted <see cref="EdramScoringTransformer.Device"/> says which ran. Kept by saved pipelines.
    /// </summary>
    public bool FallbackToCpu { get; init; }
    /// <summary>ONNX Runtime intra-op threads; 0 = its default.</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>
    /// Folder the fitted pipeline will be saved in (the zip's folder). The saved state then refers to the model by its
    /// path relative to this folder (<c>../onnx/x.onnx</c>), and <c>mlContext.Model.LoadEdram</c> resolves it against the
    /// folder of the zip it loads, so zip and model can move together. Null: relative to the working directory.
    /// A model that shares no folder below the file-system root with that base is saved with its absolute path.
    /// </summary>
    public string? PipelineFolder { get; init; }
}

/// <summary>
/// The state a fitted <c>ApplyEdram</c> saves, readable back with <see cref="EdramPipeline.FindScoring(Microsoft.ML.MLContext, Microsoft.ML.ITransformer)"/>: the model
/// reference, the GPU settings and the labels.
/// </summary>
public sealed record EdramScoringState
{
    /// <summary>
    /// The model's path relative to the pipeline's folder (<see cref="RelativeToPipeline"/>) or else to the working
    /// directory at build time, with '/' separators; absolute only when the two share no folder below the file-system
    /// root (see <see cref="EdramScoringOptions.PipelineFolder"/>).
    /// </summary>
    public string ModelPath { get; init; } = "";
    /// <summary>True when <see cref="ModelPath"/> is relative to the folder of the saved zip.</summary>
    public bool RelativeToPipeline { get; init; }
    /// <summary>SHA-256 of the model: a reload refuses any other file.</summary>
    public string Sha256 { get; init; } = "";
    /// <summary>CUDA device id or null for CPU.</summary>
    public int? GpuDeviceId { get; init; }
    /// <summary>CPU fallback when the GPU is unavailable.</summary>
    public bool FallbackToCpu { get; init; }
    /// <summary>ONNX Runtime intra-op threads (0 = default).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>The model's labels.</summary>
    public string[] Labels { get; init; } = [];
    /// <summary>True when valence/arousal are emitted (the head was trained).</summary>
    public bool HasValenceArousal { get; init; }

    /// <summary>
    /// The paths tried for the model, in order: <see cref="ModelPath"/> against <paramref name="pipelineFolder"/> (the
    /// loaded zip's folder, when known and the path is relative to it), against the working directory, the file name
    /// next to the zip, then in <c>$EDRAM_MODEL_DIR</c>.
    /// </summary>
    internal IReadOnlyList<string> Candidates(string? pipelineFolder)
    {
        var file = Path.GetFileName(ModelPath);
        var candidates = new List<string>();
        if (pipelineFolder is not null && RelativeToPipeline) candidates.Add(Path.GetFullPath(Path.Combine(pipelineFolder, ModelPath)));
        candidates.Add(Path.GetFullPath(ModelPath));
        if (pipelineFolder is not null) candidates.Add(Path.GetFullPath(Path.Combine(pipelineFolder, file)));
        if (Environment.GetEnvironmentVariable(EdramPipeline.ModelFolderVariable) is { Length: > 0 } dir)
            candidates.Add(Path.GetFullPath(Path.Combine(dir, file)));
        return candidates.Distinct().ToList();
    }

    /// <summary>Opens the model this state refers to (see <see cref="Candidates"/>), checking its hash.</summary>
    internal EdramScorer Open(string? pipelineFolder) =>
        EdramScorer.Load(Resolve(pipelineFolder), GpuDeviceId, FallbackToCpu, IntraOpThreads, Sha256);

    /// <summary>The first of <see cref="Candidates"/> that exists; throws naming every path tried.</summary>
    private string Resolve(string? pipelineFolder)
    {
        var candidates = Candidates(pipelineFolder);
        var found = candidates.FirstOrDefault(File.Exists)
                    ?? throw new FileNotFoundException(
                        $"The EDRAM model of this pipeline ('{ModelPath}', SHA-256 {Sha256}) was not found at {string.Join(" or ", candidates.Select(c => $"'{c}'"))}; " +
                        $"keep it at the same place relative to the zip, load the zip with mlContext.Model.LoadEdram, or set {EdramPipeline.ModelFolderVariable} to its folder",
                        ModelPath);
        return found;
    }

    /// <summary>
    /// <paramref name="fullPath"/> relative to <paramref name="baseFolder"/> with '/' separators when the two share a
    /// folder below the file-system root (<c>../onnx/x.onnx</c>), so a saved pipeline does not carry the layout of the
    /// machine it was built on; else the absolute path (nothing relative would survive a move anyway).
    /// </summary>
    internal static string Relative(string fullPath, string baseFolder)
    {
        fullPath = Path.GetFullPath(fullPath);
        baseFolder = Path.GetFullPath(baseFolder);
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var relative = Path.GetRelativePath(baseFolder, fullPath);
        var first = FirstFolder(fullPath);
        if (Path.IsPathRooted(relative) || first.Length == 0 || !string.Equals(first, FirstFolder(baseFolder), comparison)) return fullPath;
        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static string FirstFolder(string full)
    {
        var rest = full[(Path.GetPathRoot(full)?.Length ?? 0)..];
        var end = rest.IndexOfAny([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]);
        return end < 0 ? rest : rest[..end];
    }
}
