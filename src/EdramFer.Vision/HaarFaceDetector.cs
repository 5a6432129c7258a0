using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>
/// Viola–Jones Haar cascade (<c>haarcascade_frontalface_default.xml</c> from opencv-data): always available, weaker than
/// the DNN detectors on non-frontal faces. Reports score 1 (a cascade has no calibrated score). Not thread-safe.
/// </summary>
public sealed class HaarFaceDetector : IFaceDetector
{
    private const double ScaleFactor = 1.1; // OpenCV's default pyramid step
    private const int MinNeighbors = 5;     // fewer false positives than OpenCV's default 3 on photos with background
    private readonly CascadeClassifier _cascade;

    /// <summary>Loads a cascade XML; throws naming a missing or unreadable file.</summary>
    public HaarFaceDetector(string cascadePath)
    {
        DetectorImage.RequireFile(cascadePath, nameof(PreprocessOptions.CascadePath), DetectorKind.Haar);
        try
        {
            _cascade = new CascadeClassifier(cascadePath);
        }
        catch (OpenCVException e)
        {
            throw new InvalidDataException($"OpenCV could not load the Haar cascade '{cascadePath}': {e.Message.Trim()}", e);
        }
        if (_cascade.Empty())
        {
            _cascade.Dispose();
            throw new InvalidDataException($"OpenCV could not load the Haar cascade '{cascadePath}' (not a cascade XML?)");
        }
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.Haar;

    /// <inheritdoc />
    public IReadOnlyList<FaceBox> Detect(Mat image)
    {
        using var grey = new Mat();
        if (image.Channels() == 3) Cv2.CvtColor(image, grey, ColorConversionCodes.BGR2GRAY);
        else image.CopyTo(grey);
        Cv2.EqualizeHist(grey, grey); // cascades were trained on equalised faces
        // Faces smaller than a tenth of the shorter side are not what an expression model can use; skipping them halves the cost.
        var min = Math.Max(24, Math.Min(grey.Width, grey.Height) / 10);
        var rects = _cascade.DetectMultiScale(grey, ScaleFactor, MinNeighbors, HaarDetectionTypes.ScaleImage, new Size(min, min));
        var faces = new List<FaceBox>(rects.Length);
        foreach (var r in rects)
            if (DetectorImage.Clip(r.X, r.Y, r.Right, r.Bottom, 1f, grey.Width, grey.Height) is { } b) faces.Add(b);
        return faces;
    }

    /// <inheritdoc />
    public void Dispose() => _cascade.Dispose();
}
