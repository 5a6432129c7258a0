using EdramFer.ML;
namespace EdramFer.Analysis;

/// <summary>
/// Collects, image by image, what the paper's Fig. 3 and the region analysis need: per class the mean face, the
/// glimpse-coverage heat map of every step, the first-glimpse positions and the region shares. Images are grouped by
/// their true label. Not thread-safe; memory is C × (T + 2) maps of S² floats.
/// </summary>
public sealed class AttentionAccumulator
{
    private readonly int _px;
    private readonly double[][] _faceSum;
    private readonly float[][][] _coverage;      // [class][step][S²]: number of glimpses covering each pixel
    private readonly double[][][] _regionSum;    // [class][step][region]
    private readonly int[] _count;
    private readonly int[] _correct;
    private readonly int[][] _stepCorrect;
    private readonly List<FirstGlimpse> _first = [];
    private readonly double[][] _regionAreaSum;  // [class][eyes, mouth]: area fraction of the crop, per image's regions
    private readonly GlimpseStepAccumulator _stepStats;
    private int _ownRegions;

    /// <summary>Starts empty. <paramref name="regions"/> must be for crops of side <paramref name="size"/>.</summary>
    public AttentionAccumulator(IReadOnlyList<string> labels, int steps, int size, FaceRegions regions, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(regions);
        if (labels.Count < 1) throw new ArgumentException("at least one label", nameof(labels));
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least one glimpse");
        if (regions.Size != size) throw new ArgumentException($"regions are for {regions.Size}x{regions.Size} crops, the model's are {size}x{size}; use FaceRegions.ScaledTo({size})", nameof(regions));
        regions.Validate();
        Labels = labels.ToArray();
        Steps = steps;
        Size = size;
        Regions = regions;
        AlignCorners = alignCorners;
        _px = size * size;
        int c = labels.Count;
        _faceSum = Enumerable.Range(0, c).Select(_ => new double[_px]).ToArray();
        _coverage = Enumerable.Range(0, c).Select(_ => Enumerable.Range(0, steps).Select(_ => new float[_px]).ToArray()).ToArray();
        _regionSum = Enumerable.Range(0, c).Select(_ => Enumerable.Range(0, steps).Select(_ => new double[FaceRegions.Names.Count]).ToArray()).ToArray();
        _count = new int[c];
        _correct = new int[c];
        _stepCorrect = Enumerable.Range(0, c).Select(_ => new int[steps]).ToArray();
        _regionAreaSum = Enumerable.Range(0, c).Select(_ => new double[2]).ToArray();
        _stepStats = new GlimpseStepAccumulator(steps, size, alignCorners);
    }

    /// <summary>Class labels (index = class).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Glimpses per image.</summary>
    public int Steps { get; }
    /// <summary>Side of the crop.</summary>
    public int Size { get; }
    /// <summary>The regions for <see cref="RegionShares"/>.</summary>
    public FaceRegions Regions { get; }
    /// <summary>How θ maps to pixels (the model's <c>edram.align_corners</c>).</summary>
    public bool AlignCorners { get; }

    /// <summary>Adds one image of true class <paramref name="label"/>.</summary>
    /// <param name="source">image name, kept with its first glimpse</param>
    /// <param name="pixels">the S×S crop the model saw, or null to leave the mean face out</param>
    /// <param name="label">true class index</param>
    /// <param name="glimpses">θ of every step, T × 6</param>
    /// <param name="predicted">final predicted class, or -1</param>
    /// <param name="stepPredicted">predicted class after each step (T values), or empty</param>
    /// <param name="imageRegions">this image's regions (e.g. from landmarks, <see cref="LandmarkRegions"/>), or null for <see cref="Regions"/></param>
    public void Add(string source, ReadOnlySpan<byte> pixels, int label, ReadOnlySpan<float> glimpses, int predicted, ReadOnlySpan<int> stepPredicted,
        FaceRegions? imageRegions = null)
    {
        if (imageRegions is not null && imageRegions.Size != Size)
            throw new ArgumentException($"image regions are for {imageRegions.Size}x{imageRegions.Size} crops, the model's are {Size}x{Size}", nameof(imageRegions));
        if ((uint)label >= (uint)Labels.Count) throw new ArgumentOutOfRangeException(nameof(label), label, $"class index must be 0..{Labels.Count - 1}");
        if (glimpses.Length != Steps * GlimpseGeometry.ThetaLength)
            throw new ArgumentException($"{glimpses.Length} glimpse values, expected {Steps} steps × 6 = {Steps * 6}", nameof(glimpses));
        if (pixels.Length != 0 && pixels.Length != _px) throw new ArgumentException($"{pixels.Length} pixels, expected {Size}x{Size}", nameof(pixels));
        if (stepPredicted.Length != 0 && stepPredicted.Length != Steps) throw new ArgumentException($"{stepPredicted.Length} step predictions, expected {Steps}", nameof(stepPredicted));
        _count[label]++;
        if (predicted == label) _correct[label]++;
        var regions = imageRegions ?? Regions;
        if (imageRegions is not null) _ownRegions++;
        _regionAreaSum[label][0] += regions.Eyes.Area / _px;
        _regionAreaSum[label][1] += regions.Mouth.Area / _px;
        _stepStats.Add(glimpses);
        var face = _faceSum[label];
        for (var i = 0; i < pixels.Length; i++) face[i] += pixels[i];
        for (var t = 0; t < Steps; t++)
        {
            var theta = glimpses.Slice(t * 6, 6);
            GlimpseGeometry.AddCoverage(theta, Size, _coverage[label][t], 1f, AlignCorners);
            var shares = regions.Shares(theta, AlignCorners).ToArray();
            for (var r = 0; r < shares.Length; r++) _regionSum[label][t][r] += shares[r];
            if (stepPredicted.Length != 0 && stepPredicted[t] == label) _stepCorrect[label][t]++;
        }
        var (x, y) = GlimpseGeometry.Center(glimpses[..6], Size, AlignCorners);
        var box = GlimpseGeometry.ToPixelBox(glimpses[..6], Size, AlignCorners);
        _first.Add(new FirstGlimpse(source, label, predicted, x, y, box.Width, box.Height));
    }

    /// <summary>The maps and statistics of everything added so far.</summary>
    public AttentionSummary Build()
    {
        int c = Labels.Count;
        var meanFace = new float[c][];
        var heat = new float[c][][];
        var heatAll = new float[c][];
        var regionShares = new double[c][][];
        var regionAll = new double[c][];
        for (var k = 0; k < c; k++)
        {
            var n = _count[k];
            meanFace[k] = _faceSum[k].Select(v => n == 0 ? 0f : (float)(v / n)).ToArray();
            heat[k] = _coverage[k].Select(m => m.Select(v => n == 0 ? 0f : v / n).ToArray()).ToArray();
            heatAll[k] = new float[_px];
            for (var i = 0; i < _px; i++)
            {
                double s = 0;
                for (var t = 0; t < Steps; t++) s += heat[k][t][i];
                heatAll[k][i] = (float)(s / Steps);
            }
            regionShares[k] = _regionSum[k].Select(r => r.Select(v => n == 0 ? double.NaN : v / n).ToArray()).ToArray();
            regionAll[k] = Enumerable.Range(0, FaceRegions.Names.Count).Select(r => n == 0 ? double.NaN : _regionSum[k].Sum(s => s[r]) / (n * Steps)).ToArray();
        }
        var stats = FirstGlimpseStatistics.From(Labels, _first);
        return new AttentionSummary
        {
            Labels = Labels, Steps = Steps, Size = Size, Regions = Regions,
            ImageCount = _count.ToArray(), Correct = _correct.ToArray(), StepCorrect = _stepCorrect.Select(a => a.ToArray()).ToArray(),
            MeanFace = meanFace, Heat = heat, HeatAllSteps = heatAll, RegionShares = regionShares, RegionSharesAllSteps = regionAll,
            FirstGlimpses = _first.ToArray(), FirstGlimpseStats = stats,
            StepStats = _stepStats.Build(), ImagesWithOwnRegions = _ownRegions,
            RegionAreaFractions = _regionAreaSum.Select((a, k) => a.Select(v => _count[k] == 0 ? double.NaN : v / _count[k]).ToArray()).ToArray(),
        };
    }
}

/// <summary>The first glimpse of one image, in crop pixels.</summary>
/// <param name="Source">image name</param>
/// <param name="Label">true class index</param>
/// <param name="Predicted">final predicted class index, or -1</param>
/// <param name="X">centre x</param>
/// <param name="Y">centre y</param>
/// <param name="Width">bounding-box width</param>
/// <param name="Height">bounding-box height</param>
public sealed record FirstGlimpse(string Source, int Label, int Predicted, double X, double Y, double Width, double Height);

/// <summary>Everything <see cref="AttentionAccumulator.Build"/> computes. Maps are S×S row-major.</summary>
public sealed record AttentionSummary
{
    /// <summary>Class labels.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Glimpses per image.</summary>
    public required int Steps { get; init; }
    /// <summary>Crop side.</summary>
    public required int Size { get; init; }
    /// <summary>The regions of the shares.</summary>
    public required FaceRegions Regions { get; init; }
    /// <summary>Images per true class.</summary>
    public required int[] ImageCount { get; init; }
    /// <summary>Correct final predictions per true class.</summary>
    public required int[] Correct { get; init; }
    /// <summary>[class][step] correct predictions after that step.</summary>
    public required int[][] StepCorrect { get; init; }
    /// <summary>[class] mean crop (0–255); zeros for a class without images.</summary>
    public required float[][] MeanFace { get; init; }
    /// <summary>[class][step] fraction of the class's images whose glimpse of that step covers each pixel (0–1).</summary>
    public required float[][][] Heat { get; init; }
    /// <summary>[class] mean of <see cref="Heat"/> over steps: the chance that a glimpse of that class covers the pixel.</summary>
    public required float[][] HeatAllSteps { get; init; }
    /// <summary>[class][step][region] mean share of glimpse area (<see cref="FaceRegions.Names"/> order); NaN without images.</summary>
    public required double[][][] RegionShares { get; init; }
    /// <summary>[class][region] mean over all steps.</summary>
    public required double[][] RegionSharesAllSteps { get; init; }
    /// <summary>The first glimpse of every image, in the order added.</summary>
    public required FirstGlimpse[] FirstGlimpses { get; init; }
    /// <summary>Per-class means and variances of the first-glimpse centres.</summary>
    public required FirstGlimpseStatistics FirstGlimpseStats { get; init; }

    /// <summary>Per-step glimpse geometry (scale, movement, off-image share, centres inside).</summary>
    public IReadOnlyList<StepStatistics> StepStats { get; init; } = [];
    /// <summary>Images whose region shares used their own (landmark) regions instead of <see cref="Regions"/>.</summary>
    public int ImagesWithOwnRegions { get; init; }
    /// <summary>[class][eyes, mouth] mean share of the crop's area the region covers (the share a uniform glimpse would give it).</summary>
    public double[][] RegionAreaFractions { get; init; } = [];

    /// <summary>Total images.</summary>
    public int TotalImages => ImageCount.Sum();
}

/// <summary>
/// First-glimpse positions per class: mean centre, intra-class variance (mean squared distance of a class's centres to
/// the class mean, px²) and inter-class variance (mean squared distance of the class means to their unweighted grand
/// mean, px²; classes without images are left out). A first glimpse that depends on the expression shows inter-class
/// variance that is large relative to the intra-class variance; EDRAM's first glimpse comes from the context network.
/// </summary>
/// <param name="Classes">per class: images, mean x, mean y, intra-class variance (NaN without images)</param>
/// <param name="InterClassVariance">variance of the class means (px²)</param>
/// <param name="PooledIntraClassVariance">mean over all images of the squared distance to their class mean (px²)</param>
public sealed record FirstGlimpseStatistics(IReadOnlyList<ClassPosition> Classes, double InterClassVariance, double PooledIntraClassVariance)
{
    /// <summary>Computes the statistics of <paramref name="glimpses"/> grouped by true label.</summary>
    public static FirstGlimpseStatistics From(IReadOnlyList<string> labels, IReadOnlyList<FirstGlimpse> glimpses)
    {
        var classes = new List<ClassPosition>(labels.Count);
        double pooled = 0;
        for (var k = 0; k < labels.Count; k++)
        {
            var mine = glimpses.Where(g => g.Label == k).ToList();
            if (mine.Count == 0)
            {
                classes.Add(new ClassPosition(labels[k], 0, double.NaN, double.NaN, double.NaN));
                continue;
            }
            double mx = mine.Average(g => g.X), my = mine.Average(g => g.Y);
            var sq = mine.Sum(g => (g.X - mx) * (g.X - mx) + (g.Y - my) * (g.Y - my));
            pooled += sq;
            classes.Add(new ClassPosition(labels[k], mine.Count, mx, my, sq / mine.Count));
        }
        var present = classes.Where(c => c.Images > 0).ToList();
        double inter = double.NaN;
        if (present.Count > 0)
        {
            double gx = present.Average(c => c.MeanX), gy = present.Average(c => c.MeanY);
            inter = present.Average(c => (c.MeanX - gx) * (c.MeanX - gx) + (c.MeanY - gy) * (c.MeanY - gy));
        }
        return new FirstGlimpseStatistics(classes, inter, glimpses.Count == 0 ? double.NaN : pooled / glimpses.Count);
    }
}

/// <summary>Mean first-glimpse centre of one class.</summary>
/// <param name="Label">class label</param>
/// <param name="Images">images of the class</param>
/// <param name="MeanX">mean centre x (px)</param>
/// <param name="MeanY">mean centre y (px)</param>
/// <param name="IntraClassVariance">mean squared distance to the class mean (px²)</param>
public sealed record ClassPosition(string Label, int Images, double MeanX, double MeanY, double IntraClassVariance);
