using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>
/// The shared preprocessing: decode (any common format, 16-bit, alpha) → <see cref="FaceDetectionChain"/> (the largest
/// face, or every face with the *Faces methods) → square crop with
/// margin → grey → <see cref="PreprocessOptions.OutputSize"/>² INTER_AREA → CLAHE. Bad input gives a status, never an
/// exception from <see cref="ProcessFiles"/>. Thread-safe: detectors are pooled, one per concurrent call. Deterministic.
/// </summary>
/// <remarks>
/// The pipeline is exactly <see cref="FaceCropper"/> then <see cref="Clahe.Apply"/>. To run the two steps separately
/// (ML.NET's DetectAndCropFace and ApplyClahe), use a preprocessor with <c>ClaheClipLimit = 0</c> and then
/// <see cref="Clahe.Apply"/> with the original clip limit and grid: the bytes are identical.
/// </remarks>
public sealed class FacePreprocessor : IDisposable
{
    private readonly FaceDetectionChain _detection;
    private readonly string _chainName;

    /// <summary>
    /// Validates <paramref name="options"/> and loads one instance of every detector of the chain. Throws
    /// <see cref="FileNotFoundException"/> naming the file when a configured model or cascade path does not exist,
    /// and <see cref="ArgumentException"/> when the chain needs a path that is not set or a value is out of range.
    /// </summary>
    public FacePreprocessor(PreprocessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        Options = options;
        // A configured path that does not exist is a typo even when its detector is not in the chain: fail now.
        CheckConfiguredPath(options.SsdModelPath, nameof(options.SsdModelPath), DetectorKind.Ssd);
        CheckConfiguredPath(options.SsdConfigPath, nameof(options.SsdConfigPath), DetectorKind.Ssd);
        CheckConfiguredPath(options.YuNetModelPath, nameof(options.YuNetModelPath), DetectorKind.YuNet);
        if (options.Detectors.Contains(DetectorKind.Haar))
            CheckConfiguredPath(options.CascadePath, nameof(options.CascadePath), DetectorKind.Haar);

        _detection = new FaceDetectionChain(options);
        Warnings = _detection.Warnings;
        foreach (var warning in Warnings) WarnOnce(warning);
        _chainName = _detection.Kinds.Count == 0 ? "none" : string.Join("→", _detection.Kinds);
    }

    /// <summary>The options this preprocessor runs with.</summary>
    public PreprocessOptions Options { get; }

    /// <summary>What the constructor had to change about the configured chain (a skipped dlib); empty normally.</summary>
    public IReadOnlyList<string> Warnings { get; } = [];

    /// <summary>The detectors that actually run, in order ("none" when none).</summary>
    public string ChainName => _chainName;

    /// <summary>
    /// With the dlib shim unavailable (<paramref name="reason"/> set): alone, dlib is what the caller asked for, so it
    /// throws naming the set-up step; in a chain it is a fallback, so it is removed and the warning returned.
    /// </summary>
    internal static string? SkipUnavailableDlib(List<DetectorKind> kinds, string? reason)
    {
        if (reason is null || !kinds.Contains(DetectorKind.Dlib)) return null;
        if (kinds.Count == 1) throw new FileNotFoundException($"Detector dlib is not available: {reason}", DlibShim.FileName);
        kinds.Remove(DetectorKind.Dlib);
        return $"dlib skipped from the detector chain ({string.Join("→", kinds)} runs without it): {reason}";
    }

    private static int _warned;

    /// <summary>Standard error, once per process: a tool that builds a preprocessor per batch must not repeat it.</summary>
    private static void WarnOnce(string message)
    {
        if (Interlocked.Exchange(ref _warned, 1) == 0) Console.Error.WriteLine($"warning: {message}");
    }

    /// <summary>
    /// Reads and preprocesses one file. Missing or unreadable files, files over <see cref="PreprocessOptions.MaxFileBytes"/>
    /// and non-regular files (FIFO, device, socket, also behind a link) give a status, not an exception, and never block.
    /// </summary>
    public PreprocessResult ProcessFile(string path) => ProcessFileFaces(path, 1)[0];

    /// <summary>
    /// Like <see cref="ProcessFile"/>, but one result per detected face (largest first, at most <paramref name="maxFaces"/>,
    /// each with its <see cref="PreprocessResult.FaceIndex"/>); a single result when there is no face or the file fails.
    /// </summary>
    public IReadOnlyList<PreprocessResult> ProcessFileFaces(string path, int maxFaces)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (bytes, status, message) = ImageFileReader.Read(path, Options.MaxFileBytes);
        return bytes is null ? [Fail(status, path, message)] : ProcessEncodedFaces(bytes, path, maxFaces);
    }

    /// <summary>Preprocesses an encoded image (JPEG, PNG, BMP, WebP, GIF, ...). <paramref name="sourceName"/> is used in messages.</summary>
    public PreprocessResult ProcessEncoded(byte[] encoded, string sourceName) => ProcessEncodedFaces(encoded, sourceName, 1)[0];

    /// <summary><see cref="ProcessEncoded"/> with one result per face, as <see cref="ProcessFileFaces"/>.</summary>
    public IReadOnlyList<PreprocessResult> ProcessEncodedFaces(byte[] encoded, string sourceName, int maxFaces)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFaces, 1);
        sourceName ??= "<encoded>";
        try
        {
            var (image, status, message, note) = ImageDecoder.Decode(encoded, sourceName, Options.MaxPixels);
            if (image is null) return [Fail(status, sourceName, message)];
            using (image) return Run(image, sourceName, note, maxFaces);
        }
        catch (OpenCVException e)
        {
            return [Fail(PreprocessStatus.Error, sourceName, $"{sourceName}: OpenCV failed: {e.Message.Trim()}")];
        }
    }

    /// <summary>
    /// Preprocesses packed 8-bit pixels (ML.NET <c>MLImage</c>): <paramref name="channels"/> 1 (grey), 3 (BGR) or 4 (BGRA),
    /// row-major without padding. A zero-size or oversized image gives a status; a buffer whose length does not match
    /// width × height × channels, or another channel count, throws <see cref="ArgumentException"/> (a caller bug).
    /// </summary>
    public PreprocessResult ProcessPixels(ReadOnlySpan<byte> pixels, int width, int height, int channels, string sourceName = "<pixels>") =>
        ProcessPixelsFaces(pixels, width, height, channels, 1, sourceName)[0];

    /// <summary><see cref="ProcessPixels"/> with one result per face, as <see cref="ProcessFileFaces"/>.</summary>
    public IReadOnlyList<PreprocessResult> ProcessPixelsFaces(ReadOnlySpan<byte> pixels, int width, int height, int channels, int maxFaces,
        string sourceName = "<pixels>")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFaces, 1);
        if (width <= 0 || height <= 0)
            return [Fail(PreprocessStatus.ZeroSize, sourceName, $"{sourceName}: image is {width}x{height} (zero width or height)")];
        if ((long)width * height > Options.MaxPixels)
            return [Fail(PreprocessStatus.TooLarge, sourceName, $"{sourceName}: {width}x{height} = {(long)width * height:N0} pixels, more than MaxPixels = {Options.MaxPixels:N0}")];
        using var mat = FaceCropper.MatFromPixels(pixels, width, height, channels);
        try
        {
            using var image = ImageDecoder.Normalise(mat, sourceName); // BGRA → BGR; the same Mat otherwise
            return Run(image, sourceName, "", maxFaces);
        }
        catch (OpenCVException e)
        {
            return [Fail(PreprocessStatus.Error, sourceName, $"{sourceName}: OpenCV failed: {e.Message.Trim()}")];
        }
    }

    /// <summary>
    /// Preprocesses many files in parallel; results are in input order and no input makes it throw.
    /// <paramref name="maxDegreeOfParallelism"/> &lt;= 0 uses all cores.
    /// </summary>
    public IReadOnlyList<PreprocessResult> ProcessFiles(IReadOnlyList<string> paths, int maxDegreeOfParallelism = -1) =>
        ProcessFilesFaces(paths, 1, maxDegreeOfParallelism).Select(r => r[0]).ToList();

    /// <summary><see cref="ProcessFiles"/> with one result per face for each path, as <see cref="ProcessFileFaces"/>.</summary>
    public IReadOnlyList<IReadOnlyList<PreprocessResult>> ProcessFilesFaces(IReadOnlyList<string> paths, int maxFaces, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFaces, 1);
        var results = new IReadOnlyList<PreprocessResult>[paths.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount };
        Parallel.For(0, paths.Count, parallel, i =>
        {
            var path = paths[i];
            try
            {
                results[i] = path is null
                    ? [Fail(PreprocessStatus.FileNotFound, "", $"paths[{i}] is null")]
                    : ProcessFileFaces(path, maxFaces);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                results[i] = [Fail(PreprocessStatus.Error, path ?? "", $"{path}: unexpected {e.GetType().Name}: {e.Message}")];
            }
        });
        return results;
    }

    /// <summary>Detect, crop, CLAHE on an 8-bit grey or BGR image: one result per face (at most <paramref name="maxFaces"/>), or one without.</summary>
    private IReadOnlyList<PreprocessResult> Run(Mat image, string source, string note, int maxFaces)
    {
        int w = image.Width, h = image.Height, size = Options.OutputSize;
        var suffix = note.Length > 0 ? "; " + note : "";
        if (!_detection.Detects)
        {
            var whole = FaceCropper.CropGrey(image, new Rect(0, 0, w, h), size, size);
            return [Done(PreprocessStatus.Ok, source, $"{source}: no detection configured; whole {w}x{h} image used as the face crop{suffix}",
                whole, new FaceBox(0, 0, w, h, 1f), null) with { Crop = new SourceRegion(0, 0, w, h) }];
        }

        var found = _detection.Detect(image, maxFaces);
        if (found.Faces.Count > 0)
            return found.Faces.Select((f, i) =>
            {
                var (pixels, crop) = Crop(image, f);
                return Done(PreprocessStatus.Ok, source, $"{source}: face found by {found.Detector} at ({f.X},{f.Y}) {f.Width}x{f.Height}{suffix}",
                    pixels, f, found.Detector) with { FaceCount = found.Count, FaceIndex = i, Crop = crop };
            }).ToList();
        switch (Options.NoFacePolicy)
        {
            case NoFacePolicy.Reject:
                return [Fail(PreprocessStatus.NoFace, source, $"{source}: no face found by {_chainName}, so no label (no-face policy: reject){suffix}")];
            case NoFacePolicy.WholeImage:
                return [Done(PreprocessStatus.NoFaceFallback, source, $"{source}: no face found by {_chainName}; whole {w}x{h} image used{suffix}",
                    FaceCropper.CropGrey(image, new Rect(0, 0, w, h), size, size), null, null) with { Crop = new SourceRegion(0, 0, w, h) }];
            default:
                var c = FaceCropper.CentreSquare(w, h);
                return [Done(PreprocessStatus.NoFaceFallback, source, $"{source}: no face found by {_chainName}; centre {c.Size}x{c.Size} crop used{suffix}",
                    FaceCropper.CropGrey(image, new Rect(c.X, c.Y, c.Size, c.Size), size, size), null, null) with { Crop = new SourceRegion(c.X, c.Y, c.Size, c.Size) }];
        }
    }

    /// <summary>A face's crop and the part of the image it shows: eye-aligned where asked and landmarks exist, else the box's square.</summary>
    private (byte[] Pixels, SourceRegion Region) Crop(Mat image, FaceBox face)
    {
        var size = Options.OutputSize;
        if (Options.Alignment == FaceAlignment.Eyes && face.Landmarks is { } points)
            return (FaceAligner.AlignedGrey(image, points, size), FaceAligner.Region(points));
        var box = FaceCropper.SquareAround(face, image.Width, image.Height, Options.Margin);
        return (FaceCropper.CropGrey(image, new Rect(box.X, box.Y, box.Size, box.Size), size, size), new SourceRegion(box.X, box.Y, box.Size, box.Size));
    }

    private PreprocessResult Done(PreprocessStatus status, string source, string message, byte[] crop, FaceBox? face, DetectorKind? kind)
    {
        var pixels = Options.ClaheClipLimit > 0
            ? Clahe.Apply(crop, Options.OutputSize, Options.ClaheClipLimit, Options.ClaheTileGrid)
            : crop;
        return new PreprocessResult(status, message, pixels, face, kind) { Source = source };
    }

    private static PreprocessResult Fail(PreprocessStatus status, string source, string message) =>
        new(status, message, null, null, null) { Source = source };

    /// <summary>A new detector of <paramref name="kind"/> configured by <paramref name="o"/> (model paths, thresholds);
    /// the caller owns it. For callers that need every face of an image rather than the preprocessed largest one.</summary>
    public static IFaceDetector CreateDetector(PreprocessOptions o, DetectorKind kind) => kind switch
    {
        DetectorKind.Ssd => new SsdFaceDetector(o.SsdModelPath!, o.SsdConfigPath!, o.ScoreThresholdFor(DetectorKind.Ssd), o.DetectorInputSize),
        DetectorKind.YuNet => new YuNetFaceDetector(o.YuNetModelPath!, o.ScoreThresholdFor(DetectorKind.YuNet), o.DetectorInputSize),
        DetectorKind.Haar => new HaarFaceDetector(o.CascadePath!),
        // With libdlib-data installed, dlib's faces carry the five points from its 68-point model, as YuNet's do.
        DetectorKind.Dlib => new DlibFaceDetector(o.DlibUpsample, o.DlibScoreThreshold,
            File.Exists(DlibFaceDetector.DefaultShapePredictorPath) ? DlibFaceDetector.DefaultShapePredictorPath : null),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a detector"),
    };

    private static void CheckConfiguredPath(string? path, string option, DetectorKind kind)
    {
        if (path is not null && !File.Exists(path))
        {
            var hint = option == nameof(PreprocessOptions.CascadePath) && Environment.GetEnvironmentVariable(PreprocessOptions.CascadeEnvironmentVariable) == path
                ? $" (from ${PreprocessOptions.CascadeEnvironmentVariable})" : "";
            throw new FileNotFoundException($"{kind} detector file not found: '{path}' (PreprocessOptions.{option}{hint})", path);
        }
        if (path is null && kind == DetectorKind.Haar)
            throw new ArgumentException(
                $"Detector chain includes Haar but no cascade was found: install opencv-data, set ${PreprocessOptions.CascadeEnvironmentVariable} or PreprocessOptions.CascadePath");
    }

    private static void Validate(PreprocessOptions o)
    {
        if (o.Detectors is null) throw new ArgumentException("PreprocessOptions.Detectors is null; use [] for no detection");
        foreach (var d in o.Detectors)
            if (!Enum.IsDefined(d)) throw new ArgumentException($"PreprocessOptions.Detectors holds unknown detector {(int)d}");
        if (!(o.Margin >= 0) || double.IsInfinity(o.Margin)) throw new ArgumentException($"PreprocessOptions.Margin is {o.Margin}, expected a finite number >= 0");
        if (!Enum.IsDefined(o.NoFacePolicy)) throw new ArgumentException($"PreprocessOptions.NoFacePolicy is {(int)o.NoFacePolicy}, not a defined policy");
        if (o.OutputSize < 1) throw new ArgumentException($"PreprocessOptions.OutputSize is {o.OutputSize}, expected >= 1");
        if (double.IsNaN(o.ClaheClipLimit)) throw new ArgumentException("PreprocessOptions.ClaheClipLimit is NaN");
        if (o.ClaheClipLimit > 0 && (o.ClaheTileGrid < 1 || o.ClaheTileGrid > o.OutputSize))
            throw new ArgumentException($"PreprocessOptions.ClaheTileGrid is {o.ClaheTileGrid}, expected 1..OutputSize ({o.OutputSize})");
        if (o.MaxPixels < 1) throw new ArgumentException($"PreprocessOptions.MaxPixels is {o.MaxPixels}, expected >= 1");
        if (o.MaxFileBytes < 1) throw new ArgumentException($"PreprocessOptions.MaxFileBytes is {o.MaxFileBytes}, expected >= 1");
        if (o.MinFaceSize < 0) throw new ArgumentException($"PreprocessOptions.MinFaceSize is {o.MinFaceSize}, expected >= 0");
        if (!double.IsFinite(o.DlibScoreThreshold)) throw new ArgumentException($"PreprocessOptions.DlibScoreThreshold is {o.DlibScoreThreshold}, expected a finite number");
        if (o.DlibUpsample is < 0 or > 3) throw new ArgumentException($"PreprocessOptions.DlibUpsample is {o.DlibUpsample}, expected 0..3");
        if (o.MinDetectionSize < 0) throw new ArgumentException($"PreprocessOptions.MinDetectionSize is {o.MinDetectionSize}, expected >= 0");
        if (o.DetectorInputSize is < PreprocessOptions.MinDetectorInputSize or > PreprocessOptions.MaxDetectorInputSize)
            throw new ArgumentException($"PreprocessOptions.DetectorInputSize is {o.DetectorInputSize}, expected {PreprocessOptions.MinDetectorInputSize} to {PreprocessOptions.MaxDetectorInputSize}");
        if (o.ScoreThreshold is { } s && !(s >= 0 && s <= 1)) throw new ArgumentException($"PreprocessOptions.ScoreThreshold is {s}, expected 0..1");
    }

    /// <summary>Releases every pooled detector.</summary>
    public void Dispose() => _detection.Dispose();
}
