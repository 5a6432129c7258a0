using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>
/// One face detector. Instances are NOT thread-safe (OpenCV DNN nets and cascade classifiers keep per-call state);
/// <see cref="FacePreprocessor"/> pools them so callers never share one between threads.
/// </summary>
public interface IFaceDetector : IDisposable
{
    /// <summary>Which detector this is.</summary>
    DetectorKind Kind { get; }

    /// <summary>
    /// Faces in <paramref name="image"/> (8-bit, 1-channel grey or 3-channel BGR), in that image's pixels,
    /// clipped to it; empty when none pass the detector's threshold.
    /// </summary>
    IReadOnlyList<FaceBox> Detect(Mat image);
}

/// <summary>Small helpers the detectors share.</summary>
public static class DetectorImage
{
    /// <summary>The image as 3-channel BGR: the DNN detectors were trained on colour input.</summary>
    public static Mat ToBgr(Mat image)
    {
        if (image.Channels() == 3) return image;
        var bgr = new Mat();
        Cv2.CvtColor(image, bgr, ColorConversionCodes.GRAY2BGR);
        return bgr;
    }

    /// <summary>Rounds a float box to pixels and clips it to <paramref name="width"/> x <paramref name="height"/>; null when nothing is left.</summary>
    public static FaceBox? Clip(double x1, double y1, double x2, double y2, float score, int width, int height)
    {
        var l = Math.Clamp((int)Math.Round(x1), 0, width);
        var t = Math.Clamp((int)Math.Round(y1), 0, height);
        var r = Math.Clamp((int)Math.Round(x2), 0, width);
        var b = Math.Clamp((int)Math.Round(y2), 0, height);
        return r > l && b > t ? new FaceBox(l, t, r - l, b - t, score) : null;
    }

    /// <summary>Throws a clear error naming the file when a configured model path does not exist.</summary>
    public static void RequireFile(string? path, string option, DetectorKind kind)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"Detector chain includes {kind} but PreprocessOptions.{option} is not set");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{kind} detector file not found: '{path}' (PreprocessOptions.{option})", path);
    }
}
