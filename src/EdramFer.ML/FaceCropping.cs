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
    /// <summary>Input column: image path (String) or image (MLImage, e.g. from <c>LoadImages</c>); null = <see cref="OutputColumnName"/>.</summary>
    public string? InputColumnName { get; init; }
    /// <summary>Detector chain, margin, no-face policy, output size (CLAHE settings are ignored: see <c>ApplyClahe</c>).</summary>
    public PreprocessOptions Preprocess { get; init; } = new();
    /// <summary>
    /// Side of the square canvas an image column of unknown size (LoadImages) is letterboxed onto before detection
    /// (<c>ResizeImages</c> IsoPad; the bars are trimmed again before the crop). Images of known size (after
    /// <c>ResizeImages</c>) are used as they are.
    /// </summary>
    public int ImageCanvasSize { get; init; } = 640;
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
public sealed class FaceCroppingEstimator : EdramEstimator<FaceCroppingTransformer>
{
    internal const string PathColumn = "__EdramImagePath";
    internal const string ImageColumn = "__EdramImage";
    internal const string PixelsColumn = "__EdramPixels";
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

    private protected override IEstimator<ITransformer> Build(IReadOnlyList<InputColumn> inputSchema, PipelineResources? resources)
    {
        var input = _options.InputColumnName ?? _options.OutputColumnName;
        var col = Require(inputSchema, input);
        var image = col.ItemType as ImageDataViewType;
        if (image is null && !col.IsText || col.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw SchemaCheck.Mismatch(input, "String (image path) or Image (MLImage, e.g. from LoadImages)", col.ToString());
        if (_options.ImageCanvasSize is < 32 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(FaceCroppingOptions.ImageCanvasSize), _options.ImageCanvasSize, "must be in [32, 4096]");
        // An image of unknown size is letterboxed onto a square canvas: ExtractPixels needs a known size.
        var letterbox = image is { Height: 0 };
        var (height, width) = image is null ? (0, 0) : letterbox ? (_options.ImageCanvasSize, _options.ImageCanvasSize) : (image.Height, image.Width);
        var state = CropState.From(_options) with { ImageHeight = height, ImageWidth = width, Letterboxed = letterbox };
        var payload = StateChannel.Encode(state);
        // Fit fails now on a missing detector file (at build time the pipeline folder is the one the options name);
        // the schema alone opens no detector.
        resources?.Seed(payload, CropMapping.Create(state, _options.PipelineFolder is { } f ? Path.GetFullPath(f) : null));
        var schemaOnly = resources is null;
        var c = Catalog;
        // CustomMapping cannot read MLImage values (ML.NET 5.0.1: "Type 'Microsoft.ML.Data.MLImage' is not yet
        // supported"), so an image column reaches the mapping as interleaved BGR bytes from ExtractPixels.
        IEstimator<ITransformer> read = image is null
            ? c.CopyColumns(PathColumn, input).Append<ITransformer>(c.CustomMapping(new PathCropFactory(resources, schemaOnly).GetMapping(), PathCropFactory.ContractName))
            : (letterbox ? c.ResizeImages(ImageColumn, width, height, input, ImageResizingEstimator.ResizingKind.IsoPad) : (IEstimator<ITransformer>)c.CopyColumns(ImageColumn, input))
                .Append(c.ExtractPixels(PixelsColumn, ImageColumn, ImagePixelExtractingEstimator.ColorBits.Rgb, ImagePixelExtractingEstimator.ColorsOrder.ABGR,
                    interleavePixelColors: true, outputAsFloatArray: false))
                .Append<ITransformer>(c.CustomMapping(new PixelsCropFactory(resources, schemaOnly).GetMapping(), PixelsCropFactory.ContractName));
        return StateChannel.Estimator(Catalog, payload)
            .Append(read)
            .Append(Copy(c, [
                (_options.OutputColumnName, CropColumn), (_options.FaceFoundColumnName, FaceFoundColumn),
                (_options.StatusColumnName, StatusColumn), (_options.ErrorColumnName, ErrorColumn)]))
            .Append(c.DropColumns([StateChannel.KeyColumn, StateChannel.StateColumn, .. image is null ? new[] { PathColumn } : [ImageColumn, PixelsColumn],
                CropColumn, FaceFoundColumn, StatusColumn, ErrorColumn]));
    }

    private protected override FaceCroppingTransformer Wrap(ITransformer chain, PipelineResources resources) => new(chain, resources);
}

/// <summary>A fitted <c>DetectAndCropFace</c>; disposing it releases its detectors.</summary>
public sealed class FaceCroppingTransformer : EdramTransformer
{
    internal FaceCroppingTransformer(ITransformer chain, PipelineResources resources) : base(chain, resources)
    {
    }
}

/// <summary>Decoded crop state: the preprocessor (detector pools) and the folder for relative paths.</summary>
internal sealed class CropMapping(FacePreprocessor preprocessor, string? imageFolder, int imageHeight = 0, int imageWidth = 0, bool letterboxed = false)
    : IDisposable
{
    public FacePreprocessor Preprocessor { get; } = preprocessor;

    public static CropMapping Create(CropState state, string? pipelineFolder = null) =>
        new(new FacePreprocessor(state.ToOptions(pipelineFolder)), state.ResolveImageFolder(pipelineFolder), state.ImageHeight, state.ImageWidth, state.Letterboxed);

    /// <summary>The mapping of a loaded crop payload, its files resolved against the zip's folder.</summary>
    public static CropMapping Open(ReadOnlyMemory<char> payload, PipelineResources resources) =>
        Create(StateChannel.DecodeHeader<CropState>(payload.Span), resources.PipelineFolder);

    /// <summary>
    /// Crops the image at <paramref name="path"/>, a relative path taken from the image folder (or the working directory
    /// without one). A missing file's error names the full path tried and where relative paths are looked for.
    /// </summary>
    public PreprocessResult Process(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            return new PreprocessResult(PreprocessStatus.FileNotFound, "empty image path", null, null, null);
        var folder = imageFolder ?? Environment.CurrentDirectory;
        var full = Path.GetFullPath(path, folder);
        var result = Preprocessor.ProcessFile(full);
        if (result.Status != PreprocessStatus.FileNotFound || Path.IsPathRooted(path)) return result;
        var where = imageFolder is null ? $"the working directory '{folder}' (no ImageFolder set)" : $"the image folder '{folder}'";
        return result with { Message = $"{result.Message} (relative paths are looked for in {where})" };
    }

    /// <summary>
    /// Crops interleaved BGR pixels of an image column (<see cref="CropState.ImageHeight"/> x <see cref="CropState.ImageWidth"/>).
    /// The pixels are as ML.NET decoded them (SkiaSharp), so JPEG crops can differ from the path route's OpenCV decode
    /// by a few grey levels.
    /// </summary>
    public PreprocessResult ProcessImage(ReadOnlySpan<byte> bgr, string sourceName)
    {
        if (bgr.Length != 3 * imageHeight * imageWidth)
            return new PreprocessResult(PreprocessStatus.Error, $"{sourceName}: {bgr.Length} pixel bytes, expected {3 * imageHeight * imageWidth}", null, null, null);
        var (x, y, w, h) = letterboxed ? Letterbox.Content(bgr, imageWidth, imageHeight)
            : bgr.IndexOfAnyExcept((byte)0) < 0 ? (0, 0, 0, 0) : (0, 0, imageWidth, imageHeight);
        if (w == 0 || h == 0)
            return new PreprocessResult(PreprocessStatus.ZeroSize, $"{sourceName}: the image is empty or entirely black (a null MLImage reads as black)", null, null, null);
        if (w == imageWidth && h == imageHeight) return Preprocessor.ProcessPixels(bgr, w, h, 3, sourceName);
        var content = new byte[3 * w * h];
        for (var r = 0; r < h; r++) bgr.Slice(3 * ((y + r) * imageWidth + x), 3 * w).CopyTo(content.AsSpan(3 * r * w));
        return Preprocessor.ProcessPixels(content, w, h, 3, sourceName);
    }

    public void Dispose() => Preprocessor.Dispose();

    public static void Write(PreprocessResult r, CropOutput o)
    {
        o.Crop = r.Pixels ?? [];
        o.FaceFound = r.FaceFound;
        o.Status = r.Status.ToString();
        o.Error = r.HasPixels ? "" : r.Message;
    }
}

/// <summary>Crop mapping input from a path column.</summary>
internal sealed class PathCropInput
{
    /// <summary>Image path.</summary>
    [ColumnName(FaceCroppingEstimator.PathColumn)] public string Path { get; set; } = "";
    /// <summary>Saved transform state.</summary>
    [ColumnName(StateChannel.StateColumn)] public ReadOnlyMemory<char> State { get; set; }
}

/// <summary>Crop mapping input from an image column, as ExtractPixels' interleaved BGR bytes.</summary>
internal sealed class PixelsCropInput
{
    /// <summary>BGR pixels, row-major.</summary>
    [ColumnName(FaceCroppingEstimator.PixelsColumn), VectorType] public byte[] Pixels { get; set; } = [];
    /// <summary>Saved transform state.</summary>
    [ColumnName(StateChannel.StateColumn)] public ReadOnlyMemory<char> State { get; set; }
}

/// <summary>Crop mapping output.</summary>
internal sealed class CropOutput
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
internal sealed class PathCropFactory : StateMappingFactory<PathCropInput, CropOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.DetectAndCropFace.Path";

    /// <summary>For ML.NET, loading a zip.</summary>
    public PathCropFactory() : base(null, false)
    {
    }

    internal PathCropFactory(PipelineResources? fitted, bool schemaOnly) : base(fitted, schemaOnly)
    {
    }

    private protected override string Contract => ContractName;

    private protected override Action<PathCropInput, CropOutput> Map(PipelineResources resources) =>
        (i, o) => CropMapping.Write(resources.Get(i.State, p => CropMapping.Open(p, resources)).Process(i.Path), o);
}

/// <summary>Face crop of an image (MLImage) column's pixels. Loaded by name from saved pipelines.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PixelsCropFactory : StateMappingFactory<PixelsCropInput, CropOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.DetectAndCropFace.Image";

    /// <summary>For ML.NET, loading a zip.</summary>
    public PixelsCropFactory() : base(null, false)
    {
    }

    internal PixelsCropFactory(PipelineResources? fitted, bool schemaOnly) : base(fitted, schemaOnly)
    {
    }

    private protected override string Contract => ContractName;

    private protected override Action<PixelsCropInput, CropOutput> Map(PipelineResources resources) =>
        (i, o) => CropMapping.Write(resources.Get(i.State, p => CropMapping.Open(p, resources)).ProcessImage(i.Pixels, "<MLImage>"), o);
}

/// <summary>Finds the picture inside ML.NET's IsoPad letterbox.</summary>
internal static class Letterbox
{
    /// <summary>
    /// The content rectangle of an IsoPad canvas: IsoPad centres the picture and leaves equal black bars on one axis,
    /// so only bars of exactly black (0, 0, 0) rows (or columns) of equal height (width) within 2 pixels are removed.
    /// An all-black canvas gives an empty rectangle.
    /// </summary>
    public static (int X, int Y, int Width, int Height) Content(ReadOnlySpan<byte> bgr, int width, int height)
    {
        bool BlackRow(ReadOnlySpan<byte> p, int r) => p.Slice(3 * r * width, 3 * width).IndexOfAnyExcept((byte)0) < 0;
        bool BlackColumn(ReadOnlySpan<byte> p, int c)
        {
            for (var r = 0; r < height; r++)
                if (p[3 * (r * width + c)] != 0 || p[3 * (r * width + c) + 1] != 0 || p[3 * (r * width + c) + 2] != 0) return false;
            return true;
        }
        int top = 0, bottom = 0, left = 0, right = 0;
        while (top < height && BlackRow(bgr, top)) top++;
        if (top == height) return (0, 0, 0, 0);
        while (BlackRow(bgr, height - 1 - bottom)) bottom++;
        while (BlackColumn(bgr, left)) left++;
        while (BlackColumn(bgr, width - 1 - right)) right++;
        if (top + bottom > 0 && Math.Abs(top - bottom) <= 2 && left + right == 0) return (0, top, width, height - top - bottom);
        if (left + right > 0 && Math.Abs(left - right) <= 2 && top + bottom == 0) return (left, 0, width - left - right, height);
        return (0, 0, width, height);
    }
}
