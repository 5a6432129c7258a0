using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EdramFer.Vision;

/// <summary>
/// Every setting of the shared face preprocessing (decode → detect → square crop → grey 100x100 → CLAHE).
/// Everything that changes the output pixels, except model file paths, round-trips through
/// <see cref="ToMetadata"/> / <see cref="FromMetadata"/> (ONNX metadata, cache keys).
/// </summary>
public sealed record PreprocessOptions
{
    /// <summary>Revision of the preprocessing algorithm itself; bump when code changes alter output bytes for the same options.</summary>
    public const string AlgorithmVersion = "1";

    /// <summary>Environment variable that overrides the default Haar cascade file.</summary>
    public const string CascadeEnvironmentVariable = "EDRAM_HAAR_CASCADE";

    /// <summary>Prefix of every metadata key.</summary>
    public const string MetadataPrefix = "preprocess.";

    /// <summary>Default SSD confidence threshold: OpenCV's face detector sample uses 0.5.</summary>
    public const float DefaultSsdScoreThreshold = 0.5f;

    /// <summary>
    /// Default YuNet score threshold. The OpenCV Zoo demo uses 0.9, which misses real faces on
    /// low-resolution web photos; 0.6 is what shared/data's detector checks were measured with.
    /// </summary>
    public const float DefaultYuNetScoreThreshold = 0.6f;

    /// <summary>
    /// Detector chain, tried in order until one finds a face. Default: <see cref="DefaultDetectors"/>, chosen by
    /// measurement (docs/benchmarks.md, "Detector chains"). Empty (<see cref="DetectorNames.Off"/>):
    /// no detection, the input is treated as a face crop and the whole image is used.
    /// </summary>
    public IReadOnlyList<DetectorKind> Detectors { get; init; } = DefaultDetectors;

    /// <summary>res10 SSD TensorFlow graph (<c>opencv_face_detector_uint8.pb</c>); default: the shipped copy (<see cref="ShippedModels"/>).</summary>
    public string? SsdModelPath { get; init; } = ShippedModels.SsdModelPath;

    /// <summary>res10 SSD graph text (<c>opencv_face_detector.pbtxt</c>); default: the shipped copy.</summary>
    public string? SsdConfigPath { get; init; } = ShippedModels.SsdConfigPath;

    /// <summary>YuNet ONNX model (<c>face_detection_yunet_2023mar.onnx</c>); default: the shipped copy.</summary>
    public string? YuNetModelPath { get; init; } = ShippedModels.YuNetPath;

    /// <summary>
    /// Haar cascade XML. Default: <c>$EDRAM_HAAR_CASCADE</c> when set, otherwise the first existing
    /// <c>haarcascade_frontalface_default.xml</c> of the usual system locations (Debian's opencv-data), else null.
    /// </summary>
    public string? CascadePath { get; init; } = DefaultCascadePath();

    /// <summary>
    /// Fraction of the face box's longer side added on each side of the square crop (0.2 → the crop is 1.4× the face).
    /// Detector boxes are tight around eyes–mouth; 0.2 keeps the forehead and chin that expressions use.
    /// </summary>
    public double Margin { get; init; } = 0.2;

    /// <summary>How a detected face is framed: a box crop (default) or eye-aligned where the detector gives landmarks.</summary>
    public FaceAlignment Alignment { get; init; } = FaceAlignment.None;

    /// <summary>
    /// What to do when no detector finds a face: by default nothing is scored (status no_face, no label); a centre or
    /// whole-image crop is an explicit choice. Without detection (already cropped faces) the whole image is used.
    /// </summary>
    public NoFacePolicy NoFacePolicy { get; init; } = NoFacePolicy.Reject;

    /// <summary>Side of the square output image in pixels; 100 is the EDRAM network's input size.</summary>
    public int OutputSize { get; init; } = 100;

    /// <summary>
    /// CLAHE clip limit; values &lt;= 0 disable CLAHE. 2.0 is OpenCV's customary value: it evens out lighting
    /// without amplifying JPEG noise in flat regions (higher limits do, on 48x48 FER2013 sources).
    /// </summary>
    public double ClaheClipLimit { get; init; } = 2.0;

    /// <summary>
    /// CLAHE tiles per side. 8 gives 12.5-pixel tiles on a 100x100 face: about the size of an eye or the mouth,
    /// so contrast is equalised per facial region rather than across the whole face.
    /// </summary>
    public int ClaheTileGrid { get; init; } = 8;

    /// <summary>
    /// Images whose header declares more pixels are refused (<see cref="PreprocessStatus.TooLarge"/>) before decoding,
    /// which stops decompression bombs. 40 MP covers every camera photo of 2020s phones.
    /// </summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>
    /// Files larger than this are not read (<see cref="PreprocessStatus.ReadError"/>): a photo is a few MB, so 256 MB
    /// is generous while a huge or endless file (a link to <c>/dev/zero</c>) cannot exhaust memory. Not part of the
    /// metadata: a model or pipeline file cannot change it, only this option can.
    /// </summary>
    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    /// <summary>
    /// Faces whose box is smaller than this many source pixels on its shorter side are ignored (0 = keep all).
    /// Tiny boxes are mostly false detections, and a face that small carries no usable expression.
    /// </summary>
    public int MinFaceSize { get; init; }

    /// <summary>
    /// Times the image is doubled before dlib's detector runs (0–3). Its HOG window is 80x80, so 0 misses faces
    /// smaller than that; each doubling costs about 4x.
    /// </summary>
    public int DlibUpsample { get; init; }

    /// <summary>
    /// Minimum SVM margin of a dlib detection. dlib's own default is 0; -0.5 finds 95.5 % instead of 89 % of every fourth
    /// muxspace image (faces under strong expressions score low) at the cost of one false detection (margin -0.47) on
    /// the 52 face-less pictures (docs/benchmarks.md, "Detector chains").
    /// </summary>
    public double DlibScoreThreshold { get; init; } = DefaultDlibScoreThreshold;

    /// <summary>Default <see cref="DlibScoreThreshold"/>.</summary>
    public const double DefaultDlibScoreThreshold = -0.5;

    /// <summary>
    /// Images whose shorter side is below this are upscaled (bilinear) before detection, so 48x48 face crops
    /// become big enough for the detectors' smallest anchors; boxes are mapped back to source pixels.
    /// </summary>
    public int MinDetectionSize { get; init; } = 160;

    /// <summary>
    /// Longest side, in pixels, that the DNN detectors (YuNet, SSD) look at: a larger image is scaled down to it; YuNet
    /// sees a smaller one at its own size (rounded up to a multiple of 32) instead of enlarged, the SSD at least at its
    /// training size of 300. 320 is
    /// YuNet's training resolution and finds as many muxspace faces as full size; raise it (640, 1280) for photos whose
    /// faces are small next to the image, such as groups and crowds, at about (size / 320)² the detector's time
    /// (docs/benchmarks.md, "Detector input size").
    /// </summary>
    public int DetectorInputSize { get; init; } = DefaultDetectorInputSize;

    /// <summary>Default <see cref="DetectorInputSize"/>.</summary>
    public const int DefaultDetectorInputSize = 320;

    /// <summary>Smallest and largest <see cref="DetectorInputSize"/>.</summary>
    public const int MinDetectorInputSize = 32, MaxDetectorInputSize = 4096;

    /// <summary>
    /// Minimum detection score for the DNN detectors; null = per-detector default
    /// (<see cref="DefaultSsdScoreThreshold"/>, <see cref="DefaultYuNetScoreThreshold"/>). The Haar cascade has no
    /// calibrated score and ignores it (it uses minNeighbors = 5); so does dlib, whose score is an unbounded SVM margin
    /// (see <see cref="DlibScoreThreshold"/>).
    /// </summary>
    public float? ScoreThreshold { get; init; }

    /// <summary>The default detector chain (see <see cref="Detectors"/>).</summary>
    public static readonly IReadOnlyList<DetectorKind> DefaultDetectors = [DetectorKind.YuNet];

    /// <summary>Default <see cref="MaxPixels"/>, also the ceiling that metadata cannot raise it above.</summary>
    public const long DefaultMaxPixels = 40_000_000;

    /// <summary>Default <see cref="MaxFileBytes"/>: 256 MB.</summary>
    public const long DefaultMaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Stable short hash (16 hex digits of SHA-256) of <see cref="ToMetadata"/>: a preprocessing cache key.</summary>
    public string CacheKey
    {
        get
        {
            var text = new StringBuilder();
            foreach (var (key, value) in ToMetadata().OrderBy(p => p.Key, StringComparer.Ordinal))
                text.Append(key).Append('=').Append(value).Append('\n');
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
            return Convert.ToHexStringLower(hash)[..16];
        }
    }

    /// <summary>
    /// Every output-relevant setting as <c>preprocess.*</c> string pairs (invariant culture, round-trip numbers).
    /// Model file paths are left out: they differ between machines.
    /// </summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var inv = CultureInfo.InvariantCulture;
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataPrefix + "version"] = AlgorithmVersion,
            [MetadataPrefix + "detectors"] = DetectorNames.Format(Detectors),
            [MetadataPrefix + "margin"] = Margin.ToString("R", inv),
            [MetadataPrefix + "no_face_policy"] = NoFacePolicyNames.Format(NoFacePolicy),
            [MetadataPrefix + "output_size"] = OutputSize.ToString(inv),
            [MetadataPrefix + "clahe_clip_limit"] = ClaheClipLimit.ToString("R", inv),
            [MetadataPrefix + "clahe_tile_grid"] = ClaheTileGrid.ToString(inv),
            [MetadataPrefix + "max_pixels"] = MaxPixels.ToString(inv),
            [MetadataPrefix + "min_detection_size"] = MinDetectionSize.ToString(inv),
            [MetadataPrefix + "score_threshold"] = ScoreThreshold is { } s ? s.ToString("R", inv) : "default",
            [MetadataPrefix + "min_face_size"] = MinFaceSize.ToString(inv),
            [MetadataPrefix + "dlib_upsample"] = DlibUpsample.ToString(inv),
            [MetadataPrefix + "dlib_score_threshold"] = DlibScoreThreshold.ToString("R", inv),
        };
        // Written only when on: models, pipelines and caches without alignment keep the keys (and cache keys) they had.
        if (Alignment == FaceAlignment.Eyes) metadata[MetadataPrefix + "alignment"] = "eyes";
        if (DetectorInputSize != DefaultDetectorInputSize) metadata[MetadataPrefix + "detector_input_size"] = DetectorInputSize.ToString(inv);
        return metadata;
    }

    /// <summary>
    /// Rebuilds options from <see cref="ToMetadata"/> pairs. Keys without the <c>preprocess.</c> prefix are ignored
    /// (ONNX metadata holds others); missing keys keep their defaults; an unknown <c>preprocess.*</c> key, a newer
    /// algorithm version or an unparsable value throws, naming the key. Paths keep their defaults: set them with <c>with</c>.
    /// <c>max_pixels</c> above <see cref="DefaultMaxPixels"/> is capped there, so a tampered file cannot switch off the
    /// decompression-bomb guard; <see cref="MaxFileBytes"/> is not read from metadata at all.
    /// </summary>
    public static PreprocessOptions FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var o = new PreprocessOptions();
        foreach (var (key, value) in metadata)
        {
            if (!key.StartsWith(MetadataPrefix, StringComparison.Ordinal)) continue;
            var name = key[MetadataPrefix.Length..];
            o = name switch
            {
                "version" => value == AlgorithmVersion ? o
                    : throw new FormatException($"Metadata '{key}' is '{value}', expected '{AlgorithmVersion}' (this build's preprocessing algorithm)"),
                "detectors" => o with { Detectors = ParseDetectors(key, value) },
                "margin" => o with { Margin = ParseDouble(key, value) },
                "alignment" => o with { Alignment = value switch
                {
                    "none" => FaceAlignment.None,
                    "eyes" => FaceAlignment.Eyes,
                    _ => throw new FormatException($"Metadata '{key}' is '{value}', expected none or eyes"),
                } },
                "no_face_policy" => o with { NoFacePolicy = ParsePolicy(key, value) },
                "output_size" => o with { OutputSize = ParseInt(key, value) },
                "clahe_clip_limit" => o with { ClaheClipLimit = ParseDouble(key, value) },
                "clahe_tile_grid" => o with { ClaheTileGrid = ParseInt(key, value) },
                // A file may lower the decompression-bomb guard, never raise it past the default: only code can.
                "max_pixels" => o with { MaxPixels = Math.Min(ParseLong(key, value), DefaultMaxPixels) },
                "min_face_size" => o with { MinFaceSize = ParseInt(key, value) },
                "dlib_upsample" => o with { DlibUpsample = ParseInt(key, value) },
                "dlib_score_threshold" => o with { DlibScoreThreshold = ParseDouble(key, value) },
                "min_detection_size" => o with { MinDetectionSize = ParseInt(key, value) },
                "detector_input_size" => o with { DetectorInputSize = ParseInt(key, value) },
                "score_threshold" => o with { ScoreThreshold = value == "default" ? null : (float)ParseDouble(key, value) },
                _ => throw new FormatException($"Unknown metadata key '{key}': expected one of {string.Join(", ", new PreprocessOptions().ToMetadata().Keys)}"),
            };
        }
        return o;
    }

    /// <summary>
    /// <c>$EDRAM_HAAR_CASCADE</c> when set (even if missing, so the preprocessor's error names it), else the first
    /// existing frontal-face cascade of the usual OpenCV data locations, else null.
    /// </summary>
    public static string? DefaultCascadePath()
    {
        var env = Environment.GetEnvironmentVariable(CascadeEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return env;
        string[] dirs =
        [
            "/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades",
            "/usr/local/share/opencv4/haarcascades", "/opt/homebrew/share/opencv4/haarcascades",
        ];
        return dirs.Select(d => Path.Combine(d, "haarcascade_frontalface_default.xml")).FirstOrDefault(File.Exists);
    }

    internal float ScoreThresholdFor(DetectorKind kind) => ScoreThreshold ?? kind switch
    {
        DetectorKind.Ssd => DefaultSsdScoreThreshold,
        DetectorKind.YuNet => DefaultYuNetScoreThreshold,
        _ => 0f,
    };

    private static IReadOnlyList<DetectorKind> ParseDetectors(string key, string value)
    {
        try { return DetectorNames.Parse(value); }
        catch (FormatException e) { throw new FormatException($"Metadata '{key}' has an {e.Message}"); }
    }

    private static NoFacePolicy ParsePolicy(string key, string value) => NoFacePolicyNames.TryParse(value)
        ?? throw new FormatException($"Metadata '{key}' is '{value}', expected {string.Join(", ", NoFacePolicyNames.All)}");

    private static double ParseDouble(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new FormatException($"Metadata '{key}' is '{value}', expected a number");

    private static int ParseInt(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
            : throw new FormatException($"Metadata '{key}' is '{value}', expected an integer");

    private static long ParseLong(string key, string value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
            : throw new FormatException($"Metadata '{key}' is '{value}', expected an integer");
}
