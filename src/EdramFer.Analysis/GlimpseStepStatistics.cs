using EdramFer.ML;
namespace EdramFer.Analysis;

/// <summary>
/// Per-step glimpse geometry over many images: the effective scale sqrt|det θ| (the glimpse's side relative to the
/// image, the paper's "zoom"), how far the centre moves from the previous step, how much of the glimpse lies outside
/// the crop (the model samples zeros there) and how many centres lie inside the crop. What issue #11's acceptance
/// checks read. Not thread-safe; memory is one double per glimpse (for the scale percentiles).
/// </summary>
public sealed class GlimpseStepAccumulator
{
    private readonly List<double>[] _scales;
    private readonly double[] _moveSum;
    private readonly double[] _offSum;
    private readonly double[] _offMax;
    private readonly int[] _inside;
    private int _images;

    /// <summary>Starts empty for models of <paramref name="steps"/> glimpses on crops of side <paramref name="size"/>.</summary>
    public GlimpseStepAccumulator(int steps, int size, bool alignCorners = false)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least one glimpse");
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "crop side must be >= 1");
        Steps = steps;
        Size = size;
        AlignCorners = alignCorners;
        _scales = Enumerable.Range(0, steps).Select(_ => new List<double>()).ToArray();
        _moveSum = new double[steps];
        _offSum = new double[steps];
        _offMax = new double[steps];
        _inside = new int[steps];
    }

    /// <summary>Glimpses per image.</summary>
    public int Steps { get; }
    /// <summary>Crop side in pixels.</summary>
    public int Size { get; }
    /// <summary>How θ maps to pixels (the model's <c>edram.align_corners</c>).</summary>
    public bool AlignCorners { get; }

    /// <summary>The glimpse's side relative to the image: sqrt|det| of θ's 2x2 part (exact for the bounded emission).</summary>
    public static double EffectiveScale(ReadOnlySpan<float> theta) =>
        Math.Sqrt(Math.Abs((double)theta[0] * theta[4] - (double)theta[1] * theta[3]));

    /// <summary>Fraction of the glimpse's area outside the crop (0 for a glimpse of zero area).</summary>
    public static double OffImageShare(ReadOnlySpan<float> theta, int size, bool alignCorners = false)
    {
        var total = GlimpseGeometry.Area(theta, size, alignCorners);
        if (!(total > 1e-9)) return 0;
        var inside = GlimpseGeometry.IntersectionArea(theta, size, new PixelRect(0, 0, size, size), alignCorners);
        return Math.Clamp(1 - inside / total, 0, 1);
    }

    /// <summary>Adds the T glimpses (T × 6 values of θ) of one image.</summary>
    public void Add(ReadOnlySpan<float> glimpses)
    {
        if (glimpses.Length != Steps * GlimpseGeometry.ThetaLength)
            throw new ArgumentException($"{glimpses.Length} glimpse values, expected {Steps} steps × 6 = {Steps * 6}", nameof(glimpses));
        (double X, double Y) previous = default;
        for (var t = 0; t < Steps; t++)
        {
            var theta = glimpses.Slice(t * 6, 6);
            _scales[t].Add(EffectiveScale(theta));
            var off = OffImageShare(theta, Size, AlignCorners);
            _offSum[t] += off;
            _offMax[t] = Math.Max(_offMax[t], off);
            var centre = GlimpseGeometry.Center(theta, Size, AlignCorners);
            if (centre.X is >= 0 && centre.X <= Size && centre.Y >= 0 && centre.Y <= Size) _inside[t]++;
            if (t > 0) _moveSum[t] += Math.Sqrt((centre.X - previous.X) * (centre.X - previous.X) + (centre.Y - previous.Y) * (centre.Y - previous.Y));
            previous = centre;
        }
        _images++;
    }

    /// <summary>One row per step (empty values are NaN when no image was added; movement is NaN at step 1).</summary>
    public IReadOnlyList<StepStatistics> Build() => Enumerable.Range(0, Steps).Select(t =>
    {
        var sorted = _scales[t].Order().ToArray();
        double Q(double p) => Percentile(sorted, p);
        double Mean(double sum) => _images == 0 ? double.NaN : sum / _images;
        return new StepStatistics(t + 1, _images, Q(0.5), Q(0), Q(1), Q(0.05), Q(0.25), Q(0.75), Q(0.95),
            t == 0 ? double.NaN : Mean(_moveSum[t]), Mean(_offSum[t]), _images == 0 ? double.NaN : _offMax[t], Mean(_inside[t]), _images - _inside[t]);
    }).ToList();

    /// <summary>Linear-interpolation percentile (p in [0, 1]) of sorted values; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        var pos = Math.Clamp(p, 0, 1) * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Count - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

/// <summary>The glimpses of one step over all images.</summary>
/// <param name="Step">1-based step</param>
/// <param name="Images">images</param>
/// <param name="ScaleMedian">median effective scale sqrt|det θ|</param>
/// <param name="ScaleMin">smallest effective scale</param>
/// <param name="ScaleMax">largest effective scale</param>
/// <param name="ScaleP05">5th percentile of the scale</param>
/// <param name="ScaleP25">25th percentile</param>
/// <param name="ScaleP75">75th percentile</param>
/// <param name="ScaleP95">95th percentile</param>
/// <param name="MeanMovePx">mean distance (px) of the centre from the previous step's centre; NaN at step 1</param>
/// <param name="OffImageMean">mean over images of the share of the glimpse's area outside the crop</param>
/// <param name="OffImageMax">largest off-image share of any image</param>
/// <param name="CentreInsideShare">fraction of images whose glimpse centre lies inside the crop (edges included)</param>
/// <param name="CentresOutside">images whose glimpse centre lies outside the crop</param>
public sealed record StepStatistics(int Step, int Images, double ScaleMedian, double ScaleMin, double ScaleMax, double ScaleP05,
    double ScaleP25, double ScaleP75, double ScaleP95, double MeanMovePx, double OffImageMean, double OffImageMax, double CentreInsideShare,
    int CentresOutside);
