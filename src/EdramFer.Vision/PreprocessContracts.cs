using EdramFer.Contracts;

namespace EdramFer.Vision;

/// <summary>What happened to one image. Everything except <see cref="Ok"/> and the fallbacks means no pixels.</summary>
public enum PreprocessStatus
{
    /// <summary>A detector found a face and the crop is around it; or, with no detector configured, the whole image was used.</summary>
    Ok,
    /// <summary>No detector found a face; the <see cref="NoFacePolicy"/> crop (centre or whole image) was used.</summary>
    NoFaceFallback,
    /// <summary>No detector found a face and the policy is <see cref="NoFacePolicy.Reject"/>.</summary>
    NoFace,
    /// <summary>The path does not exist (or is a directory).</summary>
    FileNotFound,
    /// <summary>The file has 0 bytes.</summary>
    EmptyFile,
    /// <summary>
    /// Bytes that no decoder accepts (text named .jpg, unknown format, corrupt data). Truncated JPEGs land here too:
    /// OpenCV 4.13's JPEG reader rejects any JPEG cut short rather than returning a partial image; the message says
    /// "truncated JPEG". (Should a decoder return a partial image, the result keeps its status and the message notes it.)
    /// </summary>
    Undecodable,
    /// <summary>Header declares more pixels than <see cref="PreprocessOptions.MaxPixels"/>; refused before decoding.</summary>
    TooLarge,
    /// <summary>Header declares, or the input has, zero width or height.</summary>
    ZeroSize,
    /// <summary>
    /// The file exists but could not be read: permissions, an I/O error, not a regular file (FIFO, device, socket)
    /// or larger than <see cref="PreprocessOptions.MaxFileBytes"/>.
    /// </summary>
    ReadError,
    /// <summary>Unexpected failure inside OpenCV while processing a decoded image; the message holds the error.</summary>
    Error,
}

/// <summary>What to crop when no detector finds a face.</summary>
public enum NoFacePolicy
{
    /// <summary>The largest centred square (side = shorter image side).</summary>
    CentreCrop,
    /// <summary>The whole image, resized to the output size (aspect ratio not kept).</summary>
    WholeImage,
    /// <summary>No pixels; status <see cref="PreprocessStatus.NoFace"/>.</summary>
    Reject,
}

/// <summary>
/// The one spelling of each <see cref="NoFacePolicy"/> — centre, whole, reject — that model metadata, pipeline options
/// and the CLI's <c>--no-face</c> use. Models exported before it was unified say centre_crop / whole_image: still read.
/// </summary>
public static class NoFacePolicyNames
{
    /// <summary>The names, in enum order.</summary>
    public static IReadOnlyList<string> All { get; } = ["centre", "whole", "reject"];

    /// <summary>The policy's name.</summary>
    public static string Format(NoFacePolicy policy) => policy switch
    {
        NoFacePolicy.CentreCrop => "centre",
        NoFacePolicy.WholeImage => "whole",
        NoFacePolicy.Reject => "reject",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown NoFacePolicy"),
    };

    /// <summary>The policy called <paramref name="name"/> (case-insensitive), or null for an unknown name.</summary>
    public static NoFacePolicy? TryParse(string name) => name.ToLowerInvariant() switch
    {
        "centre" or "centre_crop" => NoFacePolicy.CentreCrop,
        "whole" or "whole_image" => NoFacePolicy.WholeImage,
        "reject" => NoFacePolicy.Reject,
        _ => null,
    };
}

/// <summary>Face detectors of the chain. Detection off is the empty chain (<see cref="DetectorNames.Off"/>), not a detector.</summary>
public enum DetectorKind
{
    /// <summary>OpenCV res10 SSD (TensorFlow uint8 graph), the seed paper's detector.</summary>
    Ssd,
    /// <summary>YuNet (OpenCV Zoo ONNX, <c>FaceDetectorYN</c>).</summary>
    YuNet,
    /// <summary>Haar cascade from opencv-data; always available on Debian.</summary>
    Haar,
    /// <summary>dlib's HOG frontal face detector (the seed paper's fallback), through the native shim built by set-up.</summary>
    Dlib,
}

/// <summary>A face rectangle in source-image pixels.</summary>
public readonly record struct FaceBox(int X, int Y, int Width, int Height, float Score)
{
    /// <summary>The face's five points in source-image pixels, where the detector gives them (YuNet); null otherwise.</summary>
    public FivePoints? Landmarks { get; init; }
}

/// <summary>
/// The part of the source image the model's input shows, in pixels: a rectangle, turned by <see cref="Angle"/> about
/// its centre for an eye-aligned crop (the input's x axis points along the face's eye line).
/// </summary>
public readonly record struct SourceRegion(int X, int Y, int Width, int Height)
{
    /// <summary>Rotation in radians, clockwise in image coordinates (y down); 0 for a box crop.</summary>
    public double Angle { get; init; }

    /// <summary>The image point of a point of the region given in fractions of its side (0–1, before rotation).</summary>
    public (double X, double Y) ToImage(double u, double v)
    {
        double cx = X + Width / 2.0, cy = Y + Height / 2.0, dx = (u - 0.5) * Width, dy = (v - 0.5) * Height;
        return (cx + Math.Cos(Angle) * dx - Math.Sin(Angle) * dy, cy + Math.Sin(Angle) * dx + Math.Cos(Angle) * dy);
    }
}

/// <summary>
/// Five facial points in YuNet's order, in pixels: the right and left eye centres (the person's right eye is on the
/// image's left), the nose tip, and the right and left mouth corners.
/// </summary>
public readonly record struct FivePoints(float RightEyeX, float RightEyeY, float LeftEyeX, float LeftEyeY, float NoseX, float NoseY,
    float MouthRightX, float MouthRightY, float MouthLeftX, float MouthLeftY)
{
    /// <summary>The ten coordinates in the order of <see cref="OutputSchema.LandmarkColumns"/>.</summary>
    public float[] ToArray() => [RightEyeX, RightEyeY, LeftEyeX, LeftEyeY, NoseX, NoseY, MouthRightX, MouthRightY, MouthLeftX, MouthLeftY];

    /// <summary>
    /// YuNet's five points from dlib's 68 (iBUG 300-W order): each eye's centre is the mean of its six contour points
    /// (36–41 the image-left eye, 42–47 the image-right eye), the nose tip is point 30, the mouth corners 48 and 54.
    /// </summary>
    public static FivePoints FromIbug68(IReadOnlyList<(float X, float Y)> p)
    {
        if (p.Count != 68) throw new ArgumentException($"expected the 68 iBUG points, got {p.Count}", nameof(p));
        (float X, float Y) Mean(int from) => (Enumerable.Range(from, 6).Average(i => p[i].X), Enumerable.Range(from, 6).Average(i => p[i].Y));
        var (right, left) = (Mean(36), Mean(42));
        return new FivePoints(right.X, right.Y, left.X, left.Y, p[30].X, p[30].Y, p[48].X, p[48].Y, p[54].X, p[54].Y);
    }

    /// <summary>The points of an image scaled by (<paramref name="sx"/>, <paramref name="sy"/>).</summary>
    public FivePoints Scaled(double sx, double sy) => new(
        (float)(RightEyeX * sx), (float)(RightEyeY * sy), (float)(LeftEyeX * sx), (float)(LeftEyeY * sy), (float)(NoseX * sx), (float)(NoseY * sy),
        (float)(MouthRightX * sx), (float)(MouthRightY * sy), (float)(MouthLeftX * sx), (float)(MouthLeftY * sy));
}

/// <summary>Result of preprocessing one image: 100x100 (by default) CLAHE-equalised greyscale bytes, row-major.</summary>
public sealed record PreprocessResult(
    PreprocessStatus Status,
    string Message,
    byte[]? Pixels,
    FaceBox? Face,
    DetectorKind? Detector)
{
    /// <summary>Faces the winning detector found; <see cref="Face"/> is the largest of them (0 without detection).</summary>
    public int FaceCount { get; init; }

    /// <summary>Which of the faces this result is, 0 = the largest (every-face processing gives one result per face).</summary>
    public int FaceIndex { get; init; }

    /// <summary>The file path or source name the result is for.</summary>
    public string Source { get; init; } = "";

    /// <summary>
    /// The part of the source image the crop was cut from and resized to the output size (a square around a face, or
    /// the whole image, stretched): maps the model's input pixels back to the image. Null without pixels.
    /// </summary>
    public SourceRegion? Crop { get; init; }

    /// <summary>True when <see cref="Pixels"/> holds an image (a face crop or a fallback crop).</summary>
    public bool HasPixels => Pixels != null;
    /// <summary>True when a detector found the face (status <see cref="PreprocessStatus.Ok"/> with a detector; without detection the whole image is the face and no detector is set).</summary>
    public bool FaceFound => Status == PreprocessStatus.Ok && Detector is not null;
}

/// <summary>The output schema's <see cref="RowStatus"/> of a preprocessing result.</summary>
public static class PreprocessStatusExtensions
{
    /// <summary>ok (a face, a given crop, or the explicit no-face fallback), no_face, or error.</summary>
    public static string ToRowStatus(this PreprocessStatus status) => status switch
    {
        PreprocessStatus.Ok or PreprocessStatus.NoFaceFallback => RowStatus.Ok,
        PreprocessStatus.NoFace => RowStatus.NoFace,
        _ => RowStatus.Error,
    };
}
