using EdramFer.Contracts;
using EdramFer.Vision;

namespace EdramFer.ML;

/// <summary>Options of <c>DetectAndCropFace</c> (and <c>PreprocessFace</c>).</summary>
public sealed record FaceCroppingOptions
{
    /// <summary>Output column: the grey crop, <c>Vector&lt;Byte&gt;</c> of OutputSize² row-major pixels; empty when the image failed.</summary>
    public required string OutputColumnName { get; init; }
    /// <summary>Input column: image path (String) or image (MLImage, e.g. from <c>LoadImages</c>); null = <see cref="OutputColumnName"/>.</summary>
    public string? InputColumnName { get; init; }
    /// <summary>Detector chain, margin, no-face policy, output size (CLAHE settings are ignored: see <c>ApplyClahe</c>).</summary>
    public PreprocessOptions Preprocess { get; init; } = new();
    /// <summary>
    /// <see cref="FaceSelection.Largest"/> (default): one row per input row, the largest face. <see cref="FaceSelection.All"/>:
    /// one row per detected face (largest first, <see cref="FaceColumns.FaceIndex"/> 0, 1, ...), the input row's columns
    /// repeated; an image without a face or that fails still gives one row. Rows multiply, so the fitted transformer is not
    /// a row-to-row mapper (no <c>PredictionEngine</c>), and a saved pipeline must be loaded with <c>LoadEdram</c>.
    /// </summary>
    public FaceSelection Faces { get; init; } = FaceSelection.Largest;
    /// <summary>With <see cref="FaceSelection.All"/>: at most this many faces per image, the largest (16, like <c>edram score --max-faces</c>).</summary>
    public int MaxFaces { get; init; } = 16;
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

/// <summary>Which faces of an image <c>DetectAndCropFace</c> keeps.</summary>
public enum FaceSelection
{
    /// <summary>The largest face: one row per input row.</summary>
    Largest,
    /// <summary>Every detected face, up to <see cref="FaceCroppingOptions.MaxFaces"/>: one row per face.</summary>
    All,
}

/// <summary>
/// The face columns <c>DetectAndCropFace</c> adds besides the crop, FaceFound, PreprocessStatus and Error: the CLI's
/// face columns (<see cref="OutputSchema"/>) in ML.NET's PascalCase. The same in both <see cref="FaceSelection"/> modes.
/// </summary>
public static class FaceColumns
{
    /// <summary>Int32: faces the winning detector found in the image (1 without detection; 0 when none was found or the image failed).</summary>
    public static readonly string FaceCount = OutputSchema.PascalCase(OutputSchema.FaceCount);
    /// <summary>Int32: which face of the image the row is, 0 = the largest; -1 when the row has no face box.</summary>
    public static readonly string FaceIndex = OutputSchema.PascalCase(OutputSchema.FaceIndex);
    /// <summary>Single: left of the face box in source-image pixels; NaN without a face box.</summary>
    public static readonly string FaceX = OutputSchema.PascalCase(OutputSchema.FaceX);
    /// <summary>Single: top of the face box in source-image pixels; NaN without a face box.</summary>
    public static readonly string FaceY = OutputSchema.PascalCase(OutputSchema.FaceY);
    /// <summary>Single: width of the face box in source-image pixels; NaN without a face box.</summary>
    public static readonly string FaceWidth = OutputSchema.PascalCase(OutputSchema.FaceWidth);
    /// <summary>Single: height of the face box in source-image pixels; NaN without a face box.</summary>
    public static readonly string FaceHeight = OutputSchema.PascalCase(OutputSchema.FaceHeight);
    /// <summary>String: the detector that found the face (yunet, ssd, dlib, haar), "none" with detection off, empty without a face.</summary>
    public static readonly string Detector = OutputSchema.PascalCase(OutputSchema.Detector);
    /// <summary>Single: the detector's confidence; NaN when no detector found the face.</summary>
    public static readonly string DetectorScore = OutputSchema.PascalCase(OutputSchema.DetectorScore);
}
