namespace EdramFer.Analysis.Tests;

public class GlimpseStepStatisticsTests
{
    /// <summary>θ of the bounded emission: scale s, rotation r (rad), centre (tx, ty) in normalised coordinates.</summary>
    internal static float[] Bounded(double s, double r, double tx, double ty) =>
        [(float)(s * Math.Cos(r)), (float)(-s * Math.Sin(r)), (float)tx, (float)(s * Math.Sin(r)), (float)(s * Math.Cos(r)), (float)ty];

    /// <summary>θ centred on pixel (x, y) of a 100x100 crop.</summary>
    private static float[] At(double s, double x, double y, double r = 0) => Bounded(s, r, x / 50 - 1, y / 50 - 1);

    [Fact]
    public void EffectiveScale_RotatedBoundedTheta_IsTheScale()
    {
        Assert.Equal(0.3, GlimpseStepAccumulator.EffectiveScale(Bounded(0.3, 0.7, 0.1, -0.2)), 6);
        Assert.Equal(1, GlimpseStepAccumulator.EffectiveScale(Bounded(1, -2.5, 0, 0)), 6);
    }

    [Fact]
    public void OffImageShare_GlimpseCentredOnLeftEdge_Half()
    {
        Assert.Equal(0.5, GlimpseStepAccumulator.OffImageShare(At(0.4, 0, 50), 100), 6);
        Assert.Equal(0.75, GlimpseStepAccumulator.OffImageShare(At(1, 100, 0), 100), 6); // the shipped model's first glimpse
        Assert.Equal(0, GlimpseStepAccumulator.OffImageShare(At(0.3, 50, 50), 100), 6);
    }

    [Fact]
    public void OffImageShare_WholeCropRotated45Degrees_FourCornerTriangles()
    {
        // Each corner of the diamond overhangs by h = 50(√2 − 1) px: four triangles of area h², share (√2 − 1)².
        var expected = (Math.Sqrt(2) - 1) * (Math.Sqrt(2) - 1);
        Assert.Equal(expected, GlimpseStepAccumulator.OffImageShare(At(1, 50, 50, Math.PI / 4), 100), 5);
    }

    [Fact]
    public void Build_KnownMovesScalesAndOutsideCentres_ExactStatistics()
    {
        var acc = new GlimpseStepAccumulator(2, 100);
        acc.Add([.. At(0.5, 50, 50), .. At(0.2, 56, 58)]);  // moves 10 px
        acc.Add([.. At(0.5, 50, 50), .. At(0.4, 62, 66)]);  // moves 20 px
        acc.Add([.. At(0.5, 50, 50), .. At(0.3, 120, 50)]); // moves 70 px; centre outside, glimpse fully outside
        var steps = acc.Build();

        Assert.Equal(3, steps[0].Images);
        Assert.True(double.IsNaN(steps[0].MeanMovePx));
        Assert.Equal(100 / 3.0, steps[1].MeanMovePx, 4);
        Assert.Equal(0.5, steps[0].ScaleMedian, 6);
        Assert.Equal(0.3, steps[1].ScaleMedian, 6);
        Assert.Equal(0.2, steps[1].ScaleMin, 6);
        Assert.Equal(0.4, steps[1].ScaleMax, 6);
        Assert.Equal(0.25, steps[1].ScaleP25, 6);
        Assert.Equal(0, steps[0].OffImageMean, 6);
        Assert.Equal(1 / 3.0, steps[1].OffImageMean, 6); // 0, 0 and 1 (105..135 x 35..65 lies right of the crop)
        Assert.Equal(1, steps[1].OffImageMax, 6);
        Assert.Equal(1, steps[0].CentreInsideShare);
        Assert.Equal(2 / 3.0, steps[1].CentreInsideShare, 6);
        Assert.Equal(1, steps[1].CentresOutside);
    }

    [Fact]
    public void Add_WrongLength_ThrowsNamingTheCount()
    {
        var e = Assert.Throws<ArgumentException>(() => new GlimpseStepAccumulator(2, 100).Add(new float[6]));
        Assert.Contains("expected 2 steps", e.Message);
    }

    [Fact]
    public void Percentile_Interpolates()
    {
        double[] v = [1, 2, 3, 4, 5];
        Assert.Equal(3, GlimpseStepAccumulator.Percentile(v, 0.5));
        Assert.Equal(1.2, GlimpseStepAccumulator.Percentile(v, 0.05), 9);
        Assert.True(double.IsNaN(GlimpseStepAccumulator.Percentile([], 0.5)));
    }

    private static IReadOnlyList<StepStatistics> Run(params float[][] images)
    {
        var acc = new GlimpseStepAccumulator(images[0].Length / 6, 100);
        foreach (var g in images) acc.Add(g);
        return acc.Build();
    }

    [Fact]
    public void Acceptance_SmallMovingInsideGlimpses_AllPass()
    {
        var steps = Run([.. At(1, 50, 50), .. At(0.3, 35, 40), .. At(0.3, 65, 40), .. At(0.3, 50, 76)]);
        var checks = AttentionAcceptance.Evaluate(steps, 1);
        Assert.Equal(4, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed && c.AppliesHere, $"{c.Name}: {c.Measured}"));
    }

    [Fact]
    public void Acceptance_ShippedModelsGeometry_FailsWithTheNumbers()
    {
        // Step 1 parked on the top-right corner (75 % off-image), steps 2-3 large and still.
        var steps = Run([.. At(1, 100, 0), .. At(0.8, 50, 50, 1.1), .. At(0.8, 51, 50, 1.1)]);
        var checks = AttentionAcceptance.Evaluate(steps, 1).ToDictionary(c => c.Name[..12]);
        Assert.True(checks["every glimps"].Passed); // (100, 0) is on the edge: inside
        Assert.False(checks["off-image sh"].Passed);
        Assert.Contains("75.00 % (step 1)", checks["off-image sh"].Measured);
        Assert.False(checks["median effec"].Passed);
        Assert.Contains("0.800", checks["median effec"].Measured);
        Assert.True(checks["glimpse cent"].Passed); // 70.7 px then 1 px: 35.9 px on average
    }

    [Theory]
    [InlineData(0.309, true)]
    [InlineData(0.311, false)]
    public void Acceptance_LimitedModel_ScaleWithinLimitPlusTolerance(double scale, bool passes)
    {
        var steps = Run([.. At(0.3, 50, 50), .. At(scale, 40, 40)]);
        var checks = AttentionAcceptance.Evaluate(steps, 0.3);
        Assert.True(checks[0].AppliesHere);
        Assert.Equal(passes, checks[0].Passed);
        Assert.All(checks.Skip(1), c => Assert.False(c.AppliesHere));
        var md = AttentionAcceptance.Markdown("m.onnx", 0.3, 1, checks);
        Assert.Contains(passes ? "| PASS |" : "| FAIL |", md);
        Assert.Contains(passes ? "1 of 1 checks pass" : "0 of 1 checks pass", md);
    }
}
