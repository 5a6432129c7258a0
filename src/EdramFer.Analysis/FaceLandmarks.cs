using EdramFer.ML;
using OpenCvSharp;

namespace EdramFer.Analysis;

/// <summary>
/// Five facial landmarks and the face box in crop pixels (YuNet's points; dlib's 68 reduce to them: eye centres, nose
/// tip, mouth corners). "Right"/"left" are the subject's: the right eye is on the image's left.
/// </summary>
public sealed record FaceLandmarks(PixelRect Face, (double X, double Y) RightEye, (double X, double Y) LeftEye, (double X, double Y) Nose,
    (double X, double Y) RightMouth, (double X, double Y) LeftMouth);

/// <summary>Finds landmarks on the grey S×S crop the model saw. Implementations need not be thread-safe.</summary>
public interface IFaceLandmarkProvider : IDisposable
{
    /// <summary>What the regions are measured with, for the summary (e.g. "yunet landmarks").</summary>
    string Name { get; }

    /// <summary>The landmarks of the largest face in the crop (row-major grey bytes of side <paramref name="size"/>), or null.</summary>
    FaceLandmarks? Locate(ReadOnlySpan<byte> pixels, int size);
}

/// <summary>
/// YuNet (OpenCV Zoo's <c>face_detection_yunet_2023mar.onnx</c>, <c>FaceDetectorYN</c>) run on the crop enlarged to
/// 320x320, YuNet's training resolution: it finds the face on 3,397 of the 3,589 FER2013 PublicTest crops (100x100).
/// EdramFer.Vision's detector returns boxes only, hence this second use of the model.
/// </summary>
public sealed class YuNetLandmarkProvider : IFaceLandmarkProvider
{
    /// <summary>Side of the enlarged crop YuNet runs on.</summary>
    public const int Canvas = 320;

    private readonly FaceDetectorYN _detector;

    /// <summary>Loads the model; throws naming a missing or unreadable file.</summary>
    public YuNetLandmarkProvider(string modelPath, float scoreThreshold = 0.6f)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"YuNet model '{modelPath}' not found (face_detection_yunet_2023mar.onnx; --landmark-model)", modelPath);
        _detector = FaceDetectorYN.Create(modelPath, "", new Size(Canvas, Canvas), scoreThreshold, 0.3f, 5000)
                    ?? throw new InvalidDataException($"OpenCV could not load the YuNet model '{modelPath}'");
    }

    /// <inheritdoc />
    public string Name => "yunet landmarks";

    /// <inheritdoc />
    public FaceLandmarks? Locate(ReadOnlySpan<byte> pixels, int size)
    {
        if (pixels.Length != size * size) throw new ArgumentException($"{pixels.Length} pixels, expected {size}x{size}", nameof(pixels));
        using var grey = new Mat(size, size, MatType.CV_8UC1);
        grey.SetArray(pixels.ToArray());
        using var big = new Mat();
        Cv2.Resize(grey, big, new Size(Canvas, Canvas), 0, 0, InterpolationFlags.Linear);
        using var bgr = new Mat();
        Cv2.CvtColor(big, bgr, ColorConversionCodes.GRAY2BGR);
        using var faces = new Mat(); // N x 15: x, y, w, h, 5 landmarks (x, y), score
        _detector.Detect(bgr, faces);
        if (faces.Rows == 0) return null;
        var best = Enumerable.Range(0, faces.Rows).MaxBy(i => faces.At<float>(i, 2) * faces.At<float>(i, 3));
        var k = (double)size / Canvas;
        double V(int col) => faces.At<float>(best, col) * k;
        (double, double) P(int i) => (V(4 + 2 * i), V(5 + 2 * i));
        return new FaceLandmarks(new PixelRect(V(0), V(1), V(2), V(3)), P(0), P(1), P(2), P(3), P(4));
    }

    /// <inheritdoc />
    public void Dispose() => _detector.Dispose();
}
