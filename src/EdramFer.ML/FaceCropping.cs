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
        CropMapping.Cache.Seed(payload, CropMapping.Create(state)); // fails now on a missing detector file
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

/// <summary>The saved settings of a crop transform (detector paths kept so a reload on the same machine finds them).</summary>
internal sealed record CropState
{
    public Dictionary<string, string> Preprocess { get; init; } = [];
    public string? SsdModelPath { get; init; }
    public string? SsdConfigPath { get; init; }
    public string? YuNetModelPath { get; init; }
    public string? CascadePath { get; init; }
    public string? ImageFolder { get; init; }

    public static CropState From(FaceCroppingOptions o) => new()
    {
        Preprocess = new Dictionary<string, string>(o.Preprocess.ToMetadata()),
        SsdModelPath = Full(o.Preprocess.SsdModelPath),
        SsdConfigPath = Full(o.Preprocess.SsdConfigPath),
        YuNetModelPath = Full(o.Preprocess.YuNetModelPath),
        CascadePath = Full(o.Preprocess.CascadePath),
        ImageFolder = Full(o.ImageFolder),
    };

    /// <summary>
    /// The options back. A stored detector file that is gone (the zip moved to another machine) falls back to this
    /// machine's default: EDRAM_SSD_MODEL / EDRAM_SSD_CONFIG / EDRAM_YUNET_MODEL, or the system Haar cascade.
    /// </summary>
    public PreprocessOptions ToOptions() => PreprocessOptions.FromMetadata(Preprocess) with
    {
        SsdModelPath = Existing(SsdModelPath) ?? Environment.GetEnvironmentVariable("EDRAM_SSD_MODEL") ?? SsdModelPath,
        SsdConfigPath = Existing(SsdConfigPath) ?? Environment.GetEnvironmentVariable("EDRAM_SSD_CONFIG") ?? SsdConfigPath,
        YuNetModelPath = Existing(YuNetModelPath) ?? Environment.GetEnvironmentVariable("EDRAM_YUNET_MODEL") ?? YuNetModelPath,
        CascadePath = Existing(CascadePath) ?? PreprocessOptions.DefaultCascadePath() ?? CascadePath,
        // Only the crop: CLAHE is its own transform (FacePreprocessor remarks: identical bytes when split this way).
        ClaheClipLimit = 0,
    };

    private static string? Full(string? p) => string.IsNullOrWhiteSpace(p) ? null : Path.GetFullPath(p);
    private static string? Existing(string? p) => p is not null && File.Exists(p) ? p : null;
}

/// <summary>Decoded crop state: the preprocessor (detector pools) and the folder for relative paths.</summary>
internal sealed class CropMapping(FacePreprocessor preprocessor, string? imageFolder)
{
    public static readonly SeededStateCache<CropMapping> Cache = new(p => Create(StateChannel.DecodeHeader<CropState>(p.Span)));

    public FacePreprocessor Preprocessor { get; } = preprocessor;

    public static CropMapping Create(CropState state) => new(new FacePreprocessor(state.ToOptions()), state.ImageFolder);

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
