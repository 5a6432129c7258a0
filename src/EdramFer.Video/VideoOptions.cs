using System.Globalization;
using EdramFer.Vision;

namespace EdramFer.Video;

/// <summary>How each track's probabilities are smoothed over time (the raw probabilities are always kept).</summary>
public enum SmoothingKind
{
    /// <summary>No smoothing.</summary>
    None,
    /// <summary>Exponential moving average: s = α·p + (1 − α)·s_previous.</summary>
    Ema,
    /// <summary>Mean of the track's last <see cref="VideoOptions.SmoothingWindow"/> scored frames.</summary>
    Window,
}

/// <summary>
/// Every setting of a video run. Everything that changes the output is in <see cref="ToMetadata"/>, which the CLI writes
/// into the sidecar JSON and a resumed run must match.
/// </summary>
public sealed record VideoOptions
{
    /// <summary>Detection, crop and CLAHE settings (the model's own by default); the no-face policy is ignored: a frame without a face is a <c>no_face</c> row.</summary>
    public PreprocessOptions Preprocess { get; init; } = new();

    /// <summary>Score every k-th decoded frame (1 = every frame). Exclusive with <see cref="Fps"/>.</summary>
    public int Every { get; init; } = 1;

    /// <summary>Sample at this rate instead: the first frame at or after each multiple of 1/F seconds. Null = use <see cref="Every"/>.</summary>
    public double? Fps { get; init; }

    /// <summary>Run the detector on every k-th sampled frame; the frames between reuse the tracks' last boxes.</summary>
    public int DetectEvery { get; init; } = 1;

    /// <summary>At most this many faces per frame (largest first).</summary>
    public int MaxFaces { get; init; } = 8;

    /// <summary>
    /// Minimum intersection over union between a track's last box and a detection for the detection to continue the track.
    /// 0.3 tolerates a face moving about a third of its width between detections.
    /// </summary>
    public double TrackIou { get; init; } = 0.3;

    /// <summary>Detection passes a track may miss and still continue (a blink of the detector, a hand over the face).</summary>
    public int TrackGap { get; init; } = 5;

    /// <summary>Temporal smoothing of each track's probabilities.</summary>
    public SmoothingKind Smoothing { get; init; } = SmoothingKind.None;

    /// <summary>EMA weight of the newest frame (0 &lt; α ≤ 1); 0.3 halves a change's weight after about two frames.</summary>
    public double SmoothingAlpha { get; init; } = 0.3;

    /// <summary>Frames in the moving window (≥ 1).</summary>
    public int SmoothingWindow { get; init; } = 5;

    /// <summary>Sampled frames scored and handed out together: the unit of ONNX batches and of resume checkpoints.</summary>
    public int ChunkFrames { get; init; } = 32;

    /// <summary>Faces per ONNX Runtime call.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Chunks decoded, detected and cropped ahead of the one being scored, on a thread of their own (0 = prepare and score
    /// in turn on the caller's thread). Does not change the output; memory holds this many chunks of crops more.
    /// </summary>
    public int PrepareAhead { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Preprocess);
        if (Every < 1) throw new ArgumentException($"Every is {Every}, expected >= 1");
        if (Fps is { } f && !(f > 0 && double.IsFinite(f))) throw new ArgumentException($"Fps is {f}, expected a positive number");
        if (Fps is not null && Every != 1) throw new ArgumentException("Every and Fps are exclusive: sample by frame count or by rate, not both");
        if (DetectEvery < 1) throw new ArgumentException($"DetectEvery is {DetectEvery}, expected >= 1");
        if (MaxFaces < 1) throw new ArgumentException($"MaxFaces is {MaxFaces}, expected >= 1");
        if (!(TrackIou > 0 && TrackIou <= 1)) throw new ArgumentException($"TrackIou is {TrackIou}, expected 0 < IoU <= 1");
        if (TrackGap < 0) throw new ArgumentException($"TrackGap is {TrackGap}, expected >= 0");
        if (!Enum.IsDefined(Smoothing)) throw new ArgumentException($"Smoothing is {(int)Smoothing}, not a defined kind");
        if (!(SmoothingAlpha > 0 && SmoothingAlpha <= 1)) throw new ArgumentException($"SmoothingAlpha is {SmoothingAlpha}, expected 0 < alpha <= 1");
        if (SmoothingWindow < 1) throw new ArgumentException($"SmoothingWindow is {SmoothingWindow}, expected >= 1");
        if (ChunkFrames < 1) throw new ArgumentException($"ChunkFrames is {ChunkFrames}, expected >= 1");
        if (BatchSize < 1) throw new ArgumentException($"BatchSize is {BatchSize}, expected >= 1");
        if (PrepareAhead < 0) throw new ArgumentException($"PrepareAhead is {PrepareAhead}, expected >= 0");
    }

    /// <summary>Every output-relevant setting as <c>video.*</c> and <c>preprocess.*</c> string pairs, sorted by key.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var inv = CultureInfo.InvariantCulture;
        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["video.every"] = Every.ToString(inv),
            ["video.fps"] = Fps is { } f ? f.ToString("R", inv) : "",
            ["video.detect_every"] = DetectEvery.ToString(inv),
            ["video.max_faces"] = MaxFaces.ToString(inv),
            ["video.track_iou"] = TrackIou.ToString("R", inv),
            ["video.track_gap"] = TrackGap.ToString(inv),
            ["video.smoothing"] = Smoothing.ToString().ToLowerInvariant(),
            ["video.smoothing_alpha"] = SmoothingAlpha.ToString("R", inv),
            ["video.smoothing_window"] = SmoothingWindow.ToString(inv),
            ["video.chunk_frames"] = ChunkFrames.ToString(inv),
            ["video.batch_size"] = BatchSize.ToString(inv),
        };
        foreach (var (k, v) in Preprocess.ToMetadata()) meta[k] = v;
        return meta;
    }
}
