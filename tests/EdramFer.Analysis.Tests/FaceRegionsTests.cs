using EdramFer.ML;
namespace EdramFer.Analysis.Tests;

public class FaceRegionsTests
{
    /// <summary>θ of the axis-aligned glimpse covering <paramref name="r"/> exactly in a crop of side <paramref name="size"/>.</summary>
    internal static float[] Covering(PixelRect r, int size = 100) =>
        [(float)(r.Width / size), 0, (float)(2 * r.CenterX / size - 1), 0, (float)(r.Height / size), (float)(2 * r.CenterY / size - 1)];

    private static readonly FaceRegions Regions = FaceRegions.Fer2013;

    [Fact]
    public void Shares_GlimpseExactlyOnEyesBand_AllEyes()
    {
        var s = Regions.Shares(Covering(Regions.Eyes));
        Assert.Equal(1, s.Eyes, 4);
        Assert.Equal(0, s.Mouth + s.RestOfFace + s.Background + s.OffImage, 4);
    }

    [Fact]
    public void Shares_GlimpseExactlyOnMouth_AllMouth()
    {
        var s = Regions.Shares(Covering(Regions.Mouth));
        Assert.Equal(1, s.Mouth, 4);
        Assert.Equal(0, s.Eyes, 4);
    }

    [Fact]
    public void Shares_WholeImage_ProportionalToRegionAreas()
    {
        var s = Regions.Shares([1, 0, 0, 0, 1, 0]);
        Assert.Equal(72 * 24 / 10000.0, s.Eyes, 4);
        Assert.Equal(44 * 22 / 10000.0, s.Mouth, 4);
        Assert.Equal((80 * 98 - 72 * 24 - 44 * 22) / 10000.0, s.RestOfFace, 4);
        Assert.Equal((10000 - 80 * 98) / 10000.0, s.Background, 4);
        Assert.Equal(0, s.OffImage, 4);
    }

    [Fact]
    public void Shares_HalfOutsideTheImage_HalfOffImage()
    {
        // A 40x40 glimpse centred on the left edge at the eye line: half of it is zero padding.
        var s = Regions.Shares(Covering(new PixelRect(-20, 17, 40, 40)));
        Assert.Equal(0.5, s.OffImage, 4);
        Assert.Equal(1, s.ToArray().Sum(), 6);
    }

    [Fact]
    public void Shares_ShearedGlimpse_SumToOne()
    {
        var s = Regions.Shares([0.4f, 0.2f, 0.1f, -0.15f, 0.3f, -0.2f]);
        Assert.Equal(1, s.ToArray().Sum(), 6);
        Assert.All(s.ToArray(), v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void ScaledTo_KeepsSharesOfTheSameGlimpse()
    {
        float[] theta = [0.3f, 0, -0.2f, 0, 0.25f, -0.3f];
        var a = Regions.Shares(theta);
        var b = Regions.ScaledTo(48).Shares(theta);
        Assert.Equal(a.Eyes, b.Eyes, 6);
        Assert.Equal(a.RestOfFace, b.RestOfFace, 6);
    }

    [Fact]
    public void Validate_OverlappingEyesAndMouth_Throws()
    {
        var bad = Regions with { Mouth = new PixelRect(30, 40, 40, 20) };
        var e = Assert.Throws<InvalidOperationException>(() => bad.Shares([1, 0, 0, 0, 1, 0]));
        Assert.Contains("overlap", e.Message);
    }
}
