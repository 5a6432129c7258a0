using EdramFer.Vision;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace EdramFer.ML;

/// <summary>The working columns of the crop chain, dropped at its end; the face-row expansion reads them by these names.</summary>
internal static class CropColumns
{
    public const string Path = "__EdramImagePath";
    public const string Image = "__EdramImage";
    public const string Pixels = "__EdramPixels";
    public const string Crop = "__EdramCrop";
    public const string FaceFound = "__EdramFaceFound";
    public const string Status = "__EdramStatus";
    public const string Error = "__EdramError";
    public const string FaceCount = "__EdramFaceCount";
    public const string FaceIndex = "__EdramFaceIndex";
    public const string FaceX = "__EdramFaceX";
    public const string FaceY = "__EdramFaceY";
    public const string FaceWidth = "__EdramFaceWidth";
    public const string FaceHeight = "__EdramFaceHeight";
    public const string Detector = "__EdramDetector";
    public const string DetectorScore = "__EdramDetectorScore";
    /// <summary>The crops of faces 1..n-1, concatenated.</summary>
    public const string MoreCrops = "__EdramMoreCrops";
    /// <summary>x, y, width, height, detector score of faces 1..n-1.</summary>
    public const string MoreBoxes = "__EdramMoreBoxes";
    /// <summary>Values per face in <see cref="MoreBoxes"/>.</summary>
    public const int BoxValues = 5;
}

/// <summary>Crop mapping input from a path column.</summary>
internal sealed class PathCropInput
{
    /// <summary>Image path.</summary>
    [ColumnName(CropColumns.Path)] public string Path { get; set; } = "";
    /// <summary>Saved transform state.</summary>
    [ColumnName(StateChannel.StateColumn)] public ReadOnlyMemory<char> State { get; set; }
}

/// <summary>Crop mapping input from an image column, as ExtractPixels' interleaved BGR bytes.</summary>
internal sealed class PixelsCropInput
{
    /// <summary>BGR pixels, row-major.</summary>
    [ColumnName(CropColumns.Pixels), VectorType] public byte[] Pixels { get; set; } = [];
    /// <summary>Saved transform state.</summary>
    [ColumnName(StateChannel.StateColumn)] public ReadOnlyMemory<char> State { get; set; }
}

/// <summary>Crop mapping output of zips saved before face boxes: the largest face's crop and status.</summary>
internal class CropOutput
{
    /// <summary>Grey crop, row-major; empty when the image failed.</summary>
    [ColumnName(CropColumns.Crop), VectorType] public byte[] Crop { get; set; } = [];
    /// <summary>A detector found the face.</summary>
    [ColumnName(CropColumns.FaceFound)] public bool FaceFound { get; set; }
    /// <summary><see cref="PreprocessStatus"/> name.</summary>
    [ColumnName(CropColumns.Status)] public string Status { get; set; } = "";
    /// <summary>Error message, empty when the crop exists.</summary>
    [ColumnName(CropColumns.Error)] public string Error { get; set; } = "";

    /// <summary>The crop and status of <paramref name="r"/>.</summary>
    public void Write(PreprocessResult r)
    {
        Crop = r.Pixels ?? [];
        FaceFound = r.FaceFound;
        Status = r.Status.ToString();
        Error = r.HasPixels ? "" : r.Message;
    }
}

/// <summary>
/// Crop mapping output: the first face (the largest) in the <see cref="FaceColumns"/> it shares with the CLI, and the
/// other faces packed, which the face-row expansion turns into rows of their own.
/// </summary>
internal sealed class FacesCropOutput : CropOutput
{
    /// <summary>Faces the winning detector found; 1 without detection, 0 without a face.</summary>
    [ColumnName(CropColumns.FaceCount)] public int FaceCount { get; set; }
    /// <summary>0 for the first face; -1 without a face box.</summary>
    [ColumnName(CropColumns.FaceIndex)] public int FaceIndex { get; set; }
    /// <summary>Face box in source pixels; NaN without one.</summary>
    [ColumnName(CropColumns.FaceX)] public float FaceX { get; set; }
    /// <inheritdoc cref="FaceX"/>
    [ColumnName(CropColumns.FaceY)] public float FaceY { get; set; }
    /// <inheritdoc cref="FaceX"/>
    [ColumnName(CropColumns.FaceWidth)] public float FaceWidth { get; set; }
    /// <inheritdoc cref="FaceX"/>
    [ColumnName(CropColumns.FaceHeight)] public float FaceHeight { get; set; }
    /// <summary>Detector name as the CLI writes it.</summary>
    [ColumnName(CropColumns.Detector)] public string Detector { get; set; } = "";
    /// <summary>Detector confidence; NaN when no detector found the face.</summary>
    [ColumnName(CropColumns.DetectorScore)] public float DetectorScore { get; set; }
    /// <summary>Crops of faces 1..n-1.</summary>
    [ColumnName(CropColumns.MoreCrops), VectorType] public byte[] MoreCrops { get; set; } = [];
    /// <summary>Boxes and scores of faces 1..n-1.</summary>
    [ColumnName(CropColumns.MoreBoxes), VectorType] public float[] MoreBoxes { get; set; } = [];

    /// <summary>The faces of one image, largest first (one result when it has none), as the CLI reports them.</summary>
    public void Write(IReadOnlyList<PreprocessResult> faces)
    {
        var first = faces[0];
        Write(first);
        // As edram score: a box only for a scored face (none for the no-face fallback crop), a score only for a detected one.
        var scored = first.Status == PreprocessStatus.Ok;
        var box = scored ? first.Face : null;
        FaceCount = scored ? Math.Max(1, first.FaceCount) : 0;
        FaceIndex = box is null ? -1 : first.FaceIndex;
        (FaceX, FaceY, FaceWidth, FaceHeight) = box is { } b ? (b.X, b.Y, b.Width, b.Height) : (float.NaN, float.NaN, float.NaN, float.NaN);
        Detector = DetectorNames.OfFace(box, scored ? first.Detector : null);
        DetectorScore = box is { } s && first.Detector is not null ? s.Score : float.NaN;
        MoreCrops = faces.Count > 1 ? faces.Skip(1).SelectMany(f => f.Pixels!).ToArray() : [];
        MoreBoxes = faces.Count > 1 ? faces.Skip(1).SelectMany(f => new float[] { f.Face!.Value.X, f.Face.Value.Y, f.Face.Value.Width, f.Face.Value.Height, f.Face.Value.Score }).ToArray() : [];
    }
}

/// <summary>Face crops of an image-path column. Loaded by name from saved pipelines.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PathFacesFactory : StateMappingFactory<PathCropInput, FacesCropOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.DetectAndCropFaces.Path";

    /// <summary>For ML.NET, loading a zip.</summary>
    public PathFacesFactory() : base(null, false)
    {
    }

    internal PathFacesFactory(PipelineResources? fitted, bool schemaOnly) : base(fitted, schemaOnly)
    {
    }

    private protected override string Contract => ContractName;

    private protected override string LoadHint => FaceRowExpansion.LoadHint;

    private protected override Action<PathCropInput, FacesCropOutput> Map(PipelineResources resources) =>
        (i, o) => o.Write(resources.Get(i.State, p => CropMapping.Open(p, resources)).Process(i.Path));
}

/// <summary>Face crops of an image (MLImage) column's pixels. Loaded by name from saved pipelines.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PixelsFacesFactory : StateMappingFactory<PixelsCropInput, FacesCropOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.DetectAndCropFaces.Image";

    /// <summary>For ML.NET, loading a zip.</summary>
    public PixelsFacesFactory() : base(null, false)
    {
    }

    internal PixelsFacesFactory(PipelineResources? fitted, bool schemaOnly) : base(fitted, schemaOnly)
    {
    }

    private protected override string Contract => ContractName;

    private protected override string LoadHint => FaceRowExpansion.LoadHint;

    private protected override Action<PixelsCropInput, FacesCropOutput> Map(PipelineResources resources) =>
        (i, o) => o.Write(resources.Get(i.State, p => CropMapping.Open(p, resources)).ProcessImage(i.Pixels, "<MLImage>"));
}

/// <summary>The largest-face crop of an image-path column in zips saved before face boxes. Loaded by name.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PathCropFactory : StateMappingFactory<PathCropInput, CropOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.DetectAndCropFace.Path";

    /// <summary>For ML.NET, loading a zip.</summary>
    public PathCropFactory() : base(null, false)
    {
    }

    private protected override string Contract => ContractName;

    private protected override Action<PathCropInput, CropOutput> Map(PipelineResources resources) =>
        (i, o) => o.Write(resources.Get(i.State, p => CropMapping.Open(p, resources)).Process(i.Path)[0]);
}

/// <summary>The largest-face crop of an image column in zips saved before face boxes. Loaded by name.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PixelsCropFactory : StateMappingFactory<PixelsCropInput, CropOutput>
{
    /// <summary>Contract name stored in saved pipelines.</summary>
    public const string ContractName = "EdramFer.DetectAndCropFace.Image";

    /// <summary>For ML.NET, loading a zip.</summary>
    public PixelsCropFactory() : base(null, false)
    {
    }

    private protected override string Contract => ContractName;

    private protected override Action<PixelsCropInput, CropOutput> Map(PipelineResources resources) =>
        (i, o) => o.Write(resources.Get(i.State, p => CropMapping.Open(p, resources)).ProcessImage(i.Pixels, "<MLImage>")[0]);
}
