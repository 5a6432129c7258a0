using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>
/// The shared preprocessing: decode (any common format, 16-bit, alpha) → detector chain (largest face) → square crop with
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
    private readonly DetectorPool[] _chain;
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

        var kinds = options.Detectors.Where(k => k != DetectorKind.None).Distinct().ToList();
        if (kinds.Contains(DetectorKind.Dlib) && SkipUnavailableDlib(kinds, DlibFaceDetector.UnavailableReason) is { } warning)
        {
            Warnings = [warning];
            WarnOnce(warning);
        }
        var pools = new List<DetectorPool>();
        try
        {
            foreach (var kind in kinds) pools.Add(new DetectorPool(kind, Factory(options, kind)));
        }
        catch
        {
            foreach (var p in pools) p.Dispose();
            throw;
        }
        _chain = pools.ToArray();
        _chainName = kinds.Count == 0 ? "none" : string.Join("→", kinds);
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
    public PreprocessResult ProcessFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (bytes, status, message) = ImageFileReader.Read(path, Options.MaxFileBytes);
        return bytes is null ? Fail(status, path, message) : ProcessEncoded(bytes, path);
    }

    /// <summary>Preprocesses an encoded image (JPEG, PNG, BMP, WebP, GIF, ...). <paramref name="sourceName"/> is used in messages.</summary>
    public PreprocessResult ProcessEncoded(byte[] encoded, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        sourceName ??= "<encoded>";
        try
        {
            var (image, status, message, note) = ImageDecoder.Decode(encoded, sourceName, Options.MaxPixels);
            if (image is null) return Fail(status, sourceName, message);
            using (image) return Run(image, sourceName, note);
        }
        catch (OpenCVException e)
        {
            return Fail(PreprocessStatus.Error, sourceName, $"{sourceName}: OpenCV failed: {e.Message.Trim()}");
        }
    }

    /// <summary>
    /// Preprocesses packed 8-bit pixels (ML.NET <c>MLImage</c>): <paramref name="channels"/> 1 (grey), 3 (BGR) or 4 (BGRA),
    /// row-major without padding. A zero-size or oversized image gives a status; a buffer whose length does not match
    /// width × height × channels, or another channel count, throws <see cref="ArgumentException"/> (a caller bug).
    /// </summary>
    public PreprocessResult ProcessPixels(ReadOnlySpan<byte> pixels, int width, int height, int channels, string sourceName = "<pixels>")
    {
        if (width <= 0 || height <= 0)
            return Fail(PreprocessStatus.ZeroSize, sourceName, $"{sourceName}: image is {width}x{height} (zero width or height)");
        if ((long)width * height > Options.MaxPixels)
            return Fail(PreprocessStatus.TooLarge, sourceName, $"{sourceName}: {width}x{height} = {(long)width * height:N0} pixels, more than MaxPixels = {Options.MaxPixels:N0}");
        using var mat = FaceCropper.MatFromPixels(pixels, width, height, channels);
        try
        {
            using var image = ImageDecoder.Normalise(mat, sourceName); // BGRA → BGR; the same Mat otherwise
            return Run(image, sourceName, "");
        }
        catch (OpenCVException e)
        {
            return Fail(PreprocessStatus.Error, sourceName, $"{sourceName}: OpenCV failed: {e.Message.Trim()}");
        }
    }

    /// <summary>
    /// Preprocesses many files in parallel; results are in input order and no input makes it throw.
    /// <paramref name="maxDegreeOfParallelism"/> &lt;= 0 uses all cores.
    /// </summary>
    public IReadOnlyList<PreprocessResult> ProcessFiles(IReadOnlyList<string> paths, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var results = new PreprocessResult[paths.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount };
        Parallel.For(0, paths.Count, parallel, i =>
        {
            var path = paths[i];
            try
            {
                results[i] = path is null
                    ? Fail(PreprocessStatus.FileNotFound, "", $"paths[{i}] is null")
                    : ProcessFile(path);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                results[i] = Fail(PreprocessStatus.Error, path ?? "", $"{path}: unexpected {e.GetType().Name}: {e.Message}");
            }
        });
        return results;
    }

    /// <summary>Detect, crop, CLAHE on an 8-bit grey or BGR image.</summary>
    private PreprocessResult Run(Mat image, string source, string note)
    {
        int w = image.Width, h = image.Height, size = Options.OutputSize;
        var suffix = note.Length > 0 ? "; " + note : "";
        if (_chain.Length == 0)
        {
            var whole = FaceCropper.CropGrey(image, new Rect(0, 0, w, h), size, size);
            return Done(PreprocessStatus.Ok, source, $"{source}: no detection configured; whole {w}x{h} image used as the face crop{suffix}",
                whole, new FaceBox(0, 0, w, h, 1f), DetectorKind.None);
        }

        var (face, kind, count) = DetectLargest(image);
        if (face is { } f)
        {
            var box = FaceCropper.SquareAround(f, w, h, Options.Margin);
            var pixels = FaceCropper.CropGrey(image, new Rect(box.X, box.Y, box.Size, box.Size), size, size);
            return Done(PreprocessStatus.Ok, source, $"{source}: face found by {kind} at ({f.X},{f.Y}) {f.Width}x{f.Height}{suffix}", pixels, f, kind)
                with { FaceCount = count };
        }
        switch (Options.NoFacePolicy)
        {
            case NoFacePolicy.Reject:
                return Fail(PreprocessStatus.NoFace, source, $"{source}: no face found by {_chainName}, so no label (no-face policy: reject){suffix}");
            case NoFacePolicy.WholeImage:
                return Done(PreprocessStatus.NoFaceFallback, source, $"{source}: no face found by {_chainName}; whole {w}x{h} image used{suffix}",
                    FaceCropper.CropGrey(image, new Rect(0, 0, w, h), size, size), null, null);
            default:
                var c = FaceCropper.CentreSquare(w, h);
                return Done(PreprocessStatus.NoFaceFallback, source, $"{source}: no face found by {_chainName}; centre {c.Size}x{c.Size} crop used{suffix}",
                    FaceCropper.CropGrey(image, new Rect(c.X, c.Y, c.Size, c.Size), size, size), null, null);
        }
    }

    /// <summary>First detector of the chain that finds a face wins; its largest face, in source pixels, and how many it found.</summary>
    private (FaceBox?, DetectorKind?, int) DetectLargest(Mat image)
    {
        int w = image.Width, h = image.Height;
        var shortSide = Math.Min(w, h);
        var scale = shortSide < Options.MinDetectionSize ? (double)Options.MinDetectionSize / shortSide : 1.0;
        Mat detection = image;
        if (scale > 1)
        {
            detection = new Mat();
            Cv2.Resize(image, detection, new Size((int)Math.Round(w * scale), (int)Math.Round(h * scale)), 0, 0, InterpolationFlags.Linear);
        }
        try
        {
            foreach (var pool in _chain)
            {
                // The SSD resizes every input to 300x300 itself: upscaling first only adds interpolation blur
                // (measured on muxspace: more misses on small web images), so it gets the source image.
                var input = pool.Kind == DetectorKind.Ssd ? image : detection;
                double sx = (double)w / input.Width, sy = (double)h / input.Height;
                FaceBox? best = null;
                var count = 0;
                foreach (var f in pool.Detect(input))
                {
                    if (DetectorImage.Clip(f.X * sx, f.Y * sy, (f.X + f.Width) * sx, (f.Y + f.Height) * sy, f.Score, w, h) is not { } b) continue;
                    if (Math.Min(b.Width, b.Height) < Options.MinFaceSize) continue;
                    count++;
                    if (best is null || IsBetter(b, best.Value)) best = b;
                }
                if (best is not null) return (best, pool.Kind, count);
            }
            return (null, null, 0);
        }
        finally
        {
            if (!ReferenceEquals(detection, image)) detection.Dispose();
        }
    }

    /// <summary>Largest area; ties by score, then top-left first, so the pick never depends on detector output order.</summary>
    private static bool IsBetter(FaceBox a, FaceBox b)
    {
        long areaA = (long)a.Width * a.Height, areaB = (long)b.Width * b.Height;
        if (areaA != areaB) return areaA > areaB;
        if (a.Score != b.Score) return a.Score > b.Score;
        return a.Y != b.Y ? a.Y < b.Y : a.X < b.X;
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
    public static IFaceDetector CreateDetector(PreprocessOptions o, DetectorKind kind) => Factory(o, kind)();

    private static Func<IFaceDetector> Factory(PreprocessOptions o, DetectorKind kind) => kind switch
    {
        DetectorKind.Ssd => () => new SsdFaceDetector(o.SsdModelPath!, o.SsdConfigPath!, o.ScoreThresholdFor(DetectorKind.Ssd)),
        DetectorKind.YuNet => () => new YuNetFaceDetector(o.YuNetModelPath!, o.ScoreThresholdFor(DetectorKind.YuNet)),
        DetectorKind.Haar => () => new HaarFaceDetector(o.CascadePath!),
        DetectorKind.Dlib => () => new DlibFaceDetector(o.DlibUpsample, o.DlibScoreThreshold),
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
        if (o.ScoreThreshold is { } s && !(s >= 0 && s <= 1)) throw new ArgumentException($"PreprocessOptions.ScoreThreshold is {s}, expected 0..1");
    }

    /// <summary>Releases every pooled detector.</summary>
    public void Dispose()
    {
        foreach (var p in _chain) p.Dispose();
    }
}
