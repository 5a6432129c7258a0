using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace EdramFer.ML;

/// <summary>
/// Detects faces and crops them square, grey, resized (EdramFer.Vision's <see cref="FaceCropper"/> through
/// <see cref="FacePreprocessor"/> with CLAHE off): the largest face per row, or with <see cref="FaceSelection.All"/> one
/// row per face. Adds the crop, FaceFound, PreprocessStatus, Error and the <see cref="FaceColumns"/> (count, index, box in
/// source pixels, detector and its score). Bad rows never throw: they get an empty crop, FaceFound false, a status and
/// an error text, and stay one row.
/// </summary>
public sealed class FaceCroppingEstimator : EdramEstimator<FaceCroppingTransformer>
{
    private readonly FaceCroppingOptions _options;

    internal FaceCroppingEstimator(TransformsCatalog catalog, FaceCroppingOptions options) : base(catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName);
        if (!Enum.IsDefined(options.Faces))
            throw new ArgumentOutOfRangeException(nameof(FaceCroppingOptions.Faces), options.Faces, "expected Largest or All");
        if (options.MaxFaces < 1)
            throw new ArgumentOutOfRangeException(nameof(FaceCroppingOptions.MaxFaces), options.MaxFaces, "must be >= 1");
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
            ? c.CopyColumns(CropColumns.Path, input).Append<ITransformer>(c.CustomMapping(new PathFacesFactory(resources, schemaOnly).GetMapping(), PathFacesFactory.ContractName))
            : (letterbox ? c.ResizeImages(CropColumns.Image, width, height, input, ImageResizingEstimator.ResizingKind.IsoPad) : (IEstimator<ITransformer>)c.CopyColumns(CropColumns.Image, input))
                .Append(c.ExtractPixels(CropColumns.Pixels, CropColumns.Image, ImagePixelExtractingEstimator.ColorBits.Rgb, ImagePixelExtractingEstimator.ColorsOrder.ABGR,
                    interleavePixelColors: true, outputAsFloatArray: false))
                .Append<ITransformer>(c.CustomMapping(new PixelsFacesFactory(resources, schemaOnly).GetMapping(), PixelsFacesFactory.ContractName));
        // With FaceSelection.All the fitted transformer unfolds the packed faces right after the mapping, before these copies.
        var outputs = new (string Output, string Input)[]
        {
            (_options.OutputColumnName, CropColumns.Crop), (_options.FaceFoundColumnName, CropColumns.FaceFound),
            (_options.StatusColumnName, CropColumns.Status), (_options.ErrorColumnName, CropColumns.Error),
            (FaceColumns.FaceCount, CropColumns.FaceCount), (FaceColumns.FaceIndex, CropColumns.FaceIndex),
            (FaceColumns.FaceX, CropColumns.FaceX), (FaceColumns.FaceY, CropColumns.FaceY),
            (FaceColumns.FaceWidth, CropColumns.FaceWidth), (FaceColumns.FaceHeight, CropColumns.FaceHeight),
            (FaceColumns.Detector, CropColumns.Detector), (FaceColumns.DetectorScore, CropColumns.DetectorScore),
        };
        return StateChannel.Estimator(Catalog, payload)
            .Append(read)
            .Append(Copy(c, outputs))
            .Append(c.DropColumns([StateChannel.KeyColumn, StateChannel.StateColumn, .. image is null ? new[] { CropColumns.Path } : [CropColumns.Image, CropColumns.Pixels],
                .. outputs.Select(o => o.Input), CropColumns.MoreCrops, CropColumns.MoreBoxes]));
    }

    private protected override FaceCroppingTransformer Wrap(ITransformer chain, PipelineResources resources) => new(chain, resources, _options.Faces);
}

/// <summary>
/// A fitted <c>DetectAndCropFace</c>; disposing it releases its detectors. With <see cref="FaceSelection.All"/> its
/// <see cref="ITransformer.Transform"/> gives one row per face and it is not a row-to-row mapper: a
/// <c>PredictionEngine</c> cannot return several rows for one input.
/// </summary>
public sealed class FaceCroppingTransformer : EdramTransformer
{
    internal FaceCroppingTransformer(ITransformer chain, PipelineResources resources, FaceSelection faces)
        : base(chain, resources, oneRowPerFace: faces == FaceSelection.All)
    {
        Faces = faces;
    }

    /// <summary>Which faces it keeps: the largest per row, or all (one row per face).</summary>
    public FaceSelection Faces { get; }
}
