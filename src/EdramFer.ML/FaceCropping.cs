using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;

namespace EdramFer.ML;

/// <summary>Options of <c>DetectAndCropFace</c>.</summary>
public sealed record FaceCroppingOptions
{
    /// <summary>Output column: the grey crop, <c>Vector&lt;Byte&gt;</c> of OutputSize² row-major pixels; empty when the image failed.</summary>
    public required string OutputColumnName { get; init; }
    /// <summary>Input column: image path (String); null = <see cref="OutputColumnName"/>.</summary>
    public string? InputColumnName { get; init; }
    /// <summary>Detector chain, margin, no-face policy, output size (CLAHE settings are ignored: see <c>ApplyClahe</c>).</summary>
    public PreprocessOptions Preprocess { get; init; } = new();
    /// <summary>Folder that relative paths of a path column resolve against; null = the current directory.</summary>
    public string? ImageFolder { get; init; }
    /// <summary>
    /// Folder the fitted pipeline will be saved in (the zip's folder): detector files and <see cref="ImageFolder"/> are
    /// saved relative to it, like <see cref="EdramScoringOptions.PipelineFolder"/>. Null: relative to the working directory.
    /// </summary>
    public string? PipelineFolder { get; init; }
    /// <summary>Boolean column: true when a detector found the face (<see cref="PreprocessResult.FaceFound"/>).</summary>
    public string FaceFoundColumnName { get; init; } = "FaceFound";
    /// <summary>Text column: the <see cref="PreprocessStatus"/> name (Ok, NoFaceFallback, FileNotFound, Undecodable, ...).</summary>
    public string StatusColumnName { get; init; } = "PreprocessStatus";
    /// <summary>Text column: why the row has no pixels; empty when the crop exists.</summary>
    public string ErrorColumnName { get; init; } = "Error";
}

/// <summary>
/// Detects the largest face and crops it square, grey, resized (EdramFer.Vision's <see cref="FaceCropper"/> through
/// <see cref="FacePreprocessor"/> with CLAHE off). Bad rows never throw: they get an empty crop, FaceFound false, a
/// status and an error text.
/// </summary>
public sealed class FaceCroppingEstimator : ChainEstimator
{
    internal const string PathColumn = "__EdramImagePath";
    internal const string CropColumn = "__EdramCrop";
    internal const string FaceFoundColumn = "__EdramFaceFound";
    internal const string StatusColumn = "__EdramStatus";
    internal const string ErrorColumn = "__EdramError";

    private readonly FaceCroppingOptions _options;

    internal FaceCroppingEstimator(TransformsCatalog catalog, FaceCroppingOptions options) : base(catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName);
        _options = options;
    }

    /// <summary>The options this estimator was made with.</summary>
    public FaceCroppingOptions Options => _options;

    private protected override IEstimator<ITransformer> Build(IReadOnlyList<InputColumn> inputSchema)
    {
        var input = _options.InputColumnName ?? _options.OutputColumnName;
        var col = Require(inputSchema, input);
        if (col.ItemType is ImageDataViewType)
            // CustomMapping compares image column types by reference, so an MLImage field never matches LoadImages'
            // column (ML.NET 5.0.1: "expected Image, got Image"). Decoding from the path gives Vision's exact bytes.
            throw SchemaCheck.Mismatch(input, "String (image path; MLImage columns are not supported by ML.NET custom mappings: pass the path column)", col.ToString());
        if (!col.IsText) throw SchemaCheck.Mismatch(input, "String (image path)", col.ToString());
        var state = CropState.From(_options);
        var payload = StateChannel.Encode(state);
        // Fails now on a missing detector file; at build time the pipeline folder is the one the options name.
        CropMapping.Cache.Seed(payload, CropMapping.Create(state, _options.PipelineFolder is { } f ? Path.GetFullPath(f) : null));
        var c = Catalog;
        return StateChannel.Estimator(Catalog, payload)
            .Append(c.CopyColumns(PathColumn, input))
            .Append(c.CustomMapping(new PathCropFactory().GetMapping(), PathCropFactory.ContractName))
            .Append(Copy(c, [
                (_options.OutputColumnName, CropColumn), (_options.FaceFoundColumnName, FaceFoundColumn),
                (_options.StatusColumnName, StatusColumn), (_options.ErrorColumnName, ErrorColumn)]))
            .Append(c.DropColumns(StateChannel.KeyColumn, StateChannel.StateColumn, PathColumn,
                CropColumn, FaceFoundColumn, StatusColumn, ErrorColumn));
    }
}

/// <summary>
/// The saved settings of a crop transform. Files are kept relative to the pipeline's folder (or the working directory)
/// as <see cref="EdramScoringState.Relative"/> does; the machine's default Haar cascade is not stored at all.
/// </summary>
internal sealed record CropState
{
    public Dictionary<string, string> Preprocess { get; init; } = [];
    public string? SsdModelPath { get; init; }
    public string? SsdConfigPath { get; init; }
    public string? YuNetModelPath { get; init; }
    public string? CascadePath { get; init; }
    public string? ImageFolder { get; init; }
    /// <summary>True when the paths above are relative to the saved zip's folder.</summary>
    public bool RelativeToPipeline { get; init; }

    public static CropState From(FaceCroppingOptions o)
    {
        var baseFolder = o.PipelineFolder ?? Environment.CurrentDirectory;
        string? Stored(string? p) => string.IsNullOrWhiteSpace(p) ? null : EdramScoringState.Relative(p, baseFolder);
        var cascade = o.Preprocess.CascadePath;
        var defaultCascade = PreprocessOptions.DefaultCascadePath();
        return new CropState
        {
            Preprocess = new Dictionary<string, string>(o.Preprocess.ToMetadata()),
            SsdModelPath = Stored(o.Preprocess.SsdModelPath),
            SsdConfigPath = Stored(o.Preprocess.SsdConfigPath),
            YuNetModelPath = Stored(o.Preprocess.YuNetModelPath),
            CascadePath = cascade is not null && defaultCascade is not null && Path.GetFullPath(cascade) == Path.GetFullPath(defaultCascade) ? null : Stored(cascade),
            ImageFolder = string.IsNullOrWhiteSpace(o.ImageFolder) ? null : EdramScoringState.Relative(o.ImageFolder, baseFolder),
            RelativeToPipeline = o.PipelineFolder is not null,
        };
    }

    /// <summary>
    /// The options back, paths resolved against <paramref name="pipelineFolder"/> (the loaded zip's folder) first, then the
    /// working directory. A detector file found in neither place falls back to this machine's default:
    /// EDRAM_SSD_MODEL / EDRAM_SSD_CONFIG / EDRAM_YUNET_MODEL, or the system Haar cascade.
    /// </summary>
    public PreprocessOptions ToOptions(string? pipelineFolder = null) => PreprocessOptions.FromMetadata(Preprocess) with
    {
        SsdModelPath = Existing(SsdModelPath, pipelineFolder) ?? Environment.GetEnvironmentVariable("EDRAM_SSD_MODEL") ?? SsdModelPath,
        SsdConfigPath = Existing(SsdConfigPath, pipelineFolder) ?? Environment.GetEnvironmentVariable("EDRAM_SSD_CONFIG") ?? SsdConfigPath,
        YuNetModelPath = Existing(YuNetModelPath, pipelineFolder) ?? Environment.GetEnvironmentVariable("EDRAM_YUNET_MODEL") ?? YuNetModelPath,
        CascadePath = Existing(CascadePath, pipelineFolder) ?? PreprocessOptions.DefaultCascadePath() ?? CascadePath,
        // Only the crop: CLAHE is its own transform (FacePreprocessor remarks: identical bytes when split this way).
        ClaheClipLimit = 0,
    };

    /// <summary>The image folder, against the zip's folder when it was saved relative to it.</summary>
    public string? ResolveImageFolder(string? pipelineFolder) =>
        ImageFolder is null ? null : Path.GetFullPath(Path.Combine(RelativeToPipeline && pipelineFolder is not null ? pipelineFolder : Environment.CurrentDirectory, ImageFolder));

    private string? Existing(string? stored, string? pipelineFolder)
    {
        if (stored is null) return null;
        if (RelativeToPipeline && pipelineFolder is not null && Path.Combine(pipelineFolder, stored) is var p && File.Exists(p)) return Path.GetFullPath(p);
        return File.Exists(stored) ? Path.GetFullPath(stored) : null;
    }
}

/// <summary>Decoded crop state: the preprocessor (detector pools) and the folder for relative paths.</summary>
internal sealed class CropMapping(FacePreprocessor preprocessor, string? imageFolder)
{
    public static readonly SeededStateCache<CropMapping> Cache = new(p => Create(StateChannel.DecodeHeader<CropState>(p.Span), EdramPipeline.LoadedFrom(p)));

    public FacePreprocessor Preprocessor { get; } = preprocessor;

    public static CropMapping Create(CropState state, string? pipelineFolder = null) =>
        new(new FacePreprocessor(state.ToOptions(pipelineFolder)), state.ResolveImageFolder(pipelineFolder));

    public PreprocessResult Process(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            return new PreprocessResult(PreprocessStatus.FileNotFound, "empty image path", null, null, null);
        var full = imageFolder is not null && !Path.IsPathRooted(path) ? Path.Combine(imageFolder, path) : path;
        return Preprocessor.ProcessFile(full);
    }

    public static void Write(PreprocessResult r, CropOutput o)
    {
        o.Crop = r.Pixels ?? [];
        o.FaceFound = r.FaceFound;
        o.Status = r.Status.ToString();
        o.Error = r.HasPixels ? "" : r.Message;
    }
}

/// <summary><see cref="StateCache{T}"/> that can be primed with the state built at Fit, so it is not built twice.</summary>
internal sealed class SeededStateCache<T>(Func<ReadOnlyMemory<char>, T> create) where T : class
{
    private readonly StateCache<T> _cache = new(create);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, T> _seeded = new();

    public void Seed(string payload, T state) => _seeded.AddOrUpdate(payload, state);

    public T Get(ReadOnlyMemory<char> payload)
    {
        if (StateChannel.Owner(payload) is string s && _seeded.TryGetValue(s, out var seeded)) return seeded;
        return _cache.Get(payload);
    }
}

/// <summary>Crop mapping input from a path column.</summary>
public sealed class PathCropInput
{
    /// <summary>Image path.</summary>
    [ColumnName(FaceCroppingEstimator.PathColumn)] public string Path { get; set; } = "";
    /// <summary>Saved transform state.</summary>
    [ColumnName(StateChannel.StateColumn)] public ReadOnlyMemory<char> State { get; set; }
}

/// <summary>Crop mapping output.</summary>
public sealed class CropOutput
{
    /// <summary>Grey crop, row-major; empty when the image failed.</summary>
    [ColumnName(FaceCroppingEstimator.CropColumn), VectorType] public byte[] Crop { get; set; } = [];
    /// <summary>A detector found the face.</summary>
    [ColumnName(FaceCroppingEstimator.FaceFoundColumn)] public bool FaceFound { get; set; }
    /// <summary><see cref="PreprocessStatus"/> name.</summary>
    [ColumnName(FaceCroppingEstimator.StatusColumn)] public string Status { get; set; } = "";
    /// <summary>Error message, empty when the crop exists.</summary>
    [ColumnName(FaceCroppingEstimator.ErrorColumn)] public string Error { get; set; } = "";
}

/// <summary>Face crop of an image-path column. Loaded by name from saved pipelines.</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class PathCropFactory : CustomMappingFactory<PathCropInput, CropOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.DetectAndCropFace.Path";

    /// <inheritdoc />
    public override Action<PathCropInput, CropOutput> GetMapping() => static (i, o) =>
        CropMapping.Write(CropMapping.Cache.Get(i.State).Process(i.Path), o);
}
