using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Video;

/// <summary>
/// Every face of a frame from the detector chain of <see cref="PreprocessOptions"/>: the first detector that finds any
/// face wins and all its faces are kept, largest first (the still-image path keeps only the largest). Frames whose shorter
/// side is below <see cref="PreprocessOptions.MinDetectionSize"/> are upscaled for detection as in <see cref="FacePreprocessor"/>.
/// Not thread-safe: one per analyzer.
/// </summary>
public sealed class VideoFaceDetector : IDisposable
{
    private readonly List<IFaceDetector> _chain = [];
    private readonly int _minDetectionSize;

    /// <summary>Loads the chain's detectors; throws naming a missing model file or cascade.</summary>
    public VideoFaceDetector(PreprocessOptions options)
    {
        _minDetectionSize = options.MinDetectionSize;
        try
        {
            foreach (var kind in options.Detectors.Where(k => k != DetectorKind.None).Distinct())
                _chain.Add(Create(options, kind));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>False when the chain is empty: every frame is then one face (the whole frame).</summary>
    public bool Detects => _chain.Count > 0;

    /// <summary>The chain as written in output rows, e.g. "haar" or "yunet,haar".</summary>
    public string ChainName => _chain.Count == 0 ? "none" : string.Join(",", _chain.Select(d => Name(d.Kind)));

    /// <summary>Faces in <paramref name="frame"/> (8-bit BGR or grey), largest first, at most <paramref name="maxFaces"/>, and the detector that found them.</summary>
    public (IReadOnlyList<FaceBox> Faces, DetectorKind Detector) Detect(Mat frame, int maxFaces)
    {
        int w = frame.Width, h = frame.Height;
        if (_chain.Count == 0) return ([new FaceBox(0, 0, w, h, 1f)], DetectorKind.None);
        var shortSide = Math.Min(w, h);
        var scale = shortSide < _minDetectionSize ? (double)_minDetectionSize / shortSide : 1.0;
        using var upscaled = scale > 1 ? new Mat() : null;
        if (upscaled is not null)
            Cv2.Resize(frame, upscaled, new Size((int)Math.Round(w * scale), (int)Math.Round(h * scale)), 0, 0, InterpolationFlags.Linear);
        foreach (var detector in _chain)
        {
            // As in FacePreprocessor: the SSD resizes to 300x300 itself, so it gets the source frame.
            var input = detector.Kind == DetectorKind.Ssd || upscaled is null ? frame : upscaled;
            double sx = (double)w / input.Width, sy = (double)h / input.Height;
            var faces = detector.Detect(input)
                .Select(f => DetectorImage.Clip(f.X * sx, f.Y * sy, (f.X + f.Width) * sx, (f.Y + f.Height) * sy, f.Score, w, h))
                .OfType<FaceBox>()
                .OrderByDescending(f => (long)f.Width * f.Height).ThenByDescending(f => f.Score).ThenBy(f => f.Y).ThenBy(f => f.X)
                .Take(maxFaces).ToList();
            if (faces.Count > 0) return (faces, detector.Kind);
        }
        return ([], DetectorKind.None);
    }

    /// <summary>The lower-case name of a detector, as in <c>--detector</c>.</summary>
    public static string Name(DetectorKind kind) => kind.ToString().ToLowerInvariant();

    private static IFaceDetector Create(PreprocessOptions o, DetectorKind kind) =>
        kind == DetectorKind.Haar && o.CascadePath is null
            ? throw new ArgumentException($"Detector chain includes Haar but no cascade was found: install opencv-data, set ${PreprocessOptions.CascadeEnvironmentVariable} or PreprocessOptions.CascadePath")
            : FacePreprocessor.CreateDetector(o, kind);

    /// <summary>Releases the detectors.</summary>
    public void Dispose()
    {
        foreach (var d in _chain) d.Dispose();
        _chain.Clear();
    }
}
