using System.Text.Json.Serialization;
using EdramFer.Vision;

namespace EdramFer.ML;

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
    /// <summary>Size of the BGR pixels of an image input column; 0 for a path column.</summary>
    public int ImageHeight { get; init; }
    /// <inheritdoc cref="ImageHeight"/>
    public int ImageWidth { get; init; }
    /// <summary>The pixels are an IsoPad letterbox whose black bars are trimmed before the crop.</summary>
    public bool Letterboxed { get; init; }
    /// <summary>Marks a crop state among a pipeline's states (zips saved before face boxes lack it).</summary>
    public string Kind { get; init; } = EdramPipeline.CropKind;
    /// <summary>Largest, or All: one row per face (what LoadEdram needs to know to expand the rows again).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<FaceSelection>))]
    public FaceSelection Faces { get; init; }
    /// <summary>Most faces per image with <see cref="FaceSelection.All"/>.</summary>
    public int MaxFaces { get; init; } = 1;

    /// <summary>How many faces the crop keeps per image.</summary>
    [JsonIgnore]
    public int FacesPerImage => Faces == FaceSelection.All ? MaxFaces : 1;

    public static CropState From(FaceCroppingOptions o)
    {
        var baseFolder = o.PipelineFolder ?? Environment.CurrentDirectory;
        string? Stored(string? p) => string.IsNullOrWhiteSpace(p) ? null : EdramScoringState.Relative(p, baseFolder);
        // The machine's Haar cascade and the models shipped with EdramFer.Vision are not stored: a zip that names them by
        // a path relative to one build output would break when moved; loading finds this machine's copies instead.
        static bool IsDefault(string? path, string? @default) =>
            path is not null && @default is not null && Path.GetFullPath(path) == Path.GetFullPath(@default);
        string? Unless(string? path, string? @default) => IsDefault(path, @default) ? null : Stored(path);
        var p = o.Preprocess;
        return new CropState
        {
            Preprocess = new Dictionary<string, string>(p.ToMetadata()),
            SsdModelPath = Unless(p.SsdModelPath, ShippedModels.SsdModelPath),
            SsdConfigPath = Unless(p.SsdConfigPath, ShippedModels.SsdConfigPath),
            YuNetModelPath = Unless(p.YuNetModelPath, ShippedModels.YuNetPath),
            CascadePath = Unless(p.CascadePath, PreprocessOptions.DefaultCascadePath()),
            ImageFolder = string.IsNullOrWhiteSpace(o.ImageFolder) ? null : EdramScoringState.Relative(o.ImageFolder, baseFolder),
            RelativeToPipeline = o.PipelineFolder is not null,
            Faces = o.Faces,
            MaxFaces = o.MaxFaces,
        };
    }

    /// <summary>
    /// The options back, paths resolved against <paramref name="pipelineFolder"/> (the loaded zip's folder) first, then the
    /// working directory. A detector file found in neither place falls back to this machine's default:
    /// EDRAM_SSD_MODEL / EDRAM_SSD_CONFIG / EDRAM_YUNET_MODEL, the models shipped with EdramFer.Vision, or the system Haar cascade.
    /// </summary>
    public PreprocessOptions ToOptions(string? pipelineFolder = null) => PreprocessOptions.FromMetadata(Preprocess) with
    {
        SsdModelPath = Existing(SsdModelPath, pipelineFolder) ?? Environment.GetEnvironmentVariable("EDRAM_SSD_MODEL") ?? ShippedModels.SsdModelPath ?? SsdModelPath,
        SsdConfigPath = Existing(SsdConfigPath, pipelineFolder) ?? Environment.GetEnvironmentVariable("EDRAM_SSD_CONFIG") ?? ShippedModels.SsdConfigPath ?? SsdConfigPath,
        YuNetModelPath = Existing(YuNetModelPath, pipelineFolder) ?? Environment.GetEnvironmentVariable("EDRAM_YUNET_MODEL") ?? ShippedModels.YuNetPath ?? YuNetModelPath,
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
