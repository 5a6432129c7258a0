namespace EdramFer.Video;

/// <summary>
/// Which decoded frames are scored. Frame i has timestamp i × 1000 / fps ms (the container's nominal rate, so the
/// choice never depends on decoder timing). With a rate F, frame i is taken when it is the first frame at or after a
/// multiple of 1/F seconds: ⌊i·F/fps⌋ differs from ⌊(i−1)·F/fps⌋. Stateless, so a resumed run picks the same frames.
/// </summary>
public sealed class FrameSampler
{
    // Frame times are multiples of 1/fps; without the tolerance 0.1 × 30 / 3 would land just below 1.0.
    private const double Tolerance = 1e-9;
    private readonly double _videoFps;
    private readonly int _every;
    private readonly double? _fps;

    /// <summary>Samples a video of <paramref name="videoFps"/> frames per second by the rule of <paramref name="options"/>.</summary>
    public FrameSampler(double videoFps, VideoOptions options)
    {
        if (!(videoFps > 0 && double.IsFinite(videoFps))) throw new ArgumentOutOfRangeException(nameof(videoFps), videoFps, "frame rate must be positive");
        _videoFps = videoFps;
        _every = options.Every;
        _fps = options.Fps;
    }

    /// <summary>Milliseconds from the start of the video to frame <paramref name="frameIndex"/>.</summary>
    public double TimestampMs(long frameIndex) => frameIndex * 1000.0 / _videoFps;

    /// <summary>True when frame <paramref name="frameIndex"/> (0-based) is scored.</summary>
    public bool IsSampled(long frameIndex)
    {
        if (frameIndex < 0) return false;
        if (_fps is not { } f) return frameIndex % _every == 0;
        if (frameIndex == 0) return true;
        return Slot(frameIndex, f) != Slot(frameIndex - 1, f);
    }

    private double Slot(long frameIndex, double fps) => Math.Floor(frameIndex * fps / _videoFps + Tolerance);
}
