using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>The faces one detector of a chain found in an image, in source pixels, largest first.</summary>
/// <param name="Faces">At most the number asked for; empty when no detector found a face.</param>
/// <param name="Detector">The detector that found them; null when none did.</param>
/// <param name="Count">How many faces that detector found (before the cap).</param>
public sealed record DetectedFaces(IReadOnlyList<FaceBox> Faces, DetectorKind? Detector, int Count);

/// <summary>
/// The detector chain of <see cref="PreprocessOptions"/>: the first detector that finds a face wins and all its faces
/// are kept, largest first (ties: higher score, then top-left first, so the order never depends on the detector's).
/// Images whose shorter side is below <see cref="PreprocessOptions.MinDetectionSize"/> are upscaled for detection,
/// boxes are clipped to the image and boxes smaller than <see cref="PreprocessOptions.MinFaceSize"/> dropped. An
/// unavailable dlib is skipped in a chain with a warning, and an error alone. Thread-safe: detectors are pooled.
/// </summary>
public sealed class FaceDetectionChain : IDisposable
{
    private readonly DetectorPool[] _pools;
    private readonly PreprocessOptions _options;

    /// <summary>Loads one instance of every detector of the chain; throws naming a missing model or an unavailable dlib.</summary>
    public FaceDetectionChain(PreprocessOptions options)
    {
        _options = options;
        var kinds = options.Detectors.Distinct().ToList();
        if (kinds.Contains(DetectorKind.Haar) && options.CascadePath is null)
            throw new ArgumentException($"Detector chain includes Haar but no cascade was found: install opencv-data, set ${PreprocessOptions.CascadeEnvironmentVariable} or PreprocessOptions.CascadePath");
        if (kinds.Contains(DetectorKind.Dlib) && FacePreprocessor.SkipUnavailableDlib(kinds, DlibFaceDetector.UnavailableReason) is { } warning)
            Warnings = [warning];
        var pools = new List<DetectorPool>();
        try
        {
            foreach (var kind in kinds) pools.Add(new DetectorPool(kind, () => FacePreprocessor.CreateDetector(options, kind)));
        }
        catch
        {
            foreach (var p in pools) p.Dispose();
            throw;
        }
        _pools = pools.ToArray();
        Kinds = kinds;
    }

    /// <summary>The detectors that run, in order; empty when detection is off.</summary>
    public IReadOnlyList<DetectorKind> Kinds { get; }

    /// <summary>What the constructor had to change about the configured chain (a skipped dlib); empty normally.</summary>
    public IReadOnlyList<string> Warnings { get; } = [];

    /// <summary>False when the chain is empty: the input is taken to be a face crop.</summary>
    public bool Detects => _pools.Length > 0;

    /// <summary>Faces in <paramref name="image"/> (8-bit grey or BGR), largest first, at most <paramref name="maxFaces"/>.</summary>
    public DetectedFaces Detect(Mat image, int maxFaces = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFaces, 1);
        int w = image.Width, h = image.Height;
        var shortSide = Math.Min(w, h);
        var scale = shortSide < _options.MinDetectionSize ? (double)_options.MinDetectionSize / shortSide : 1.0;
        using var upscaled = scale > 1 ? new Mat() : null;
        if (upscaled is not null)
            Cv2.Resize(image, upscaled, new Size((int)Math.Round(w * scale), (int)Math.Round(h * scale)), 0, 0, InterpolationFlags.Linear);
        foreach (var pool in _pools)
        {
            // The SSD resizes every input to 300x300 itself: upscaling first only adds interpolation blur
            // (measured on muxspace: more misses on small web images), so it gets the source image.
            var input = pool.Kind == DetectorKind.Ssd || upscaled is null ? image : upscaled;
            double sx = (double)w / input.Width, sy = (double)h / input.Height;
            var faces = pool.Detect(input)
                .Select(f => DetectorImage.Clip(f.X * sx, f.Y * sy, (f.X + f.Width) * sx, (f.Y + f.Height) * sy, f.Score, w, h) is { } b
                    ? b with { Landmarks = f.Landmarks?.Scaled(sx, sy) } : (FaceBox?)null)
                .OfType<FaceBox>()
                .Where(b => Math.Min(b.Width, b.Height) >= _options.MinFaceSize)
                .OrderByDescending(f => (long)f.Width * f.Height).ThenByDescending(f => f.Score).ThenBy(f => f.Y).ThenBy(f => f.X)
                .ToList();
            if (faces.Count > 0) return new DetectedFaces(faces.Take(maxFaces).ToList(), pool.Kind, faces.Count);
        }
        return new DetectedFaces([], null, 0);
    }

    /// <summary>Releases every pooled detector.</summary>
    public void Dispose()
    {
        foreach (var p in _pools) p.Dispose();
    }
}
