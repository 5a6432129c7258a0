using EdramFer.Training.Model;

namespace EdramFer.ML.Tests;

public class GlimpseGeometryTests
{
    [Fact]
    public void ToPixelBox_Identity_WholeImage()
    {
        var box = GlimpseGeometry.ToPixelBox([1, 0, 0, 0, 1, 0], 100);
        Assert.Equal(new PixelRect(0, 0, 100, 100), box);
    }

    [Fact]
    public void ToPixelBox_ZoomAndShift_CentreAndSizeInPixels()
    {
        // zoom 0.5 / 0.3, centre (tx, ty) = (0.2, -0.4) → ((0.2+1)/2·100, (-0.4+1)/2·100) = (60, 30)
        var box = GlimpseGeometry.ToPixelBox([0.5f, 0, 0.2f, 0, 0.3f, -0.4f], 100);
        Assert.Equal(60, box.CenterX, 4);
        Assert.Equal(30, box.CenterY, 4);
        Assert.Equal(50, box.Width, 4);
        Assert.Equal(30, box.Height, 4);
        Assert.Equal(35, box.X, 4);
        Assert.Equal(15, box.Y, 4);
    }

    [Fact]
    public void ToPixelBox_AgreesWithGlimpseSensorWithoutShear()
    {
        var random = new Random(3);
        for (var i = 0; i < 200; i++)
        {
            float[] theta = [(float)random.NextDouble(), 0, (float)(random.NextDouble() * 2 - 1), 0, (float)random.NextDouble(), (float)(random.NextDouble() * 2 - 1)];
            var mine = GlimpseGeometry.ToPixelBox(theta, 100);
            var theirs = GlimpseSensor.ToPixelBox(theta, 100);
            // GlimpseSensor computes in float, this in double: agree to float rounding.
            Assert.Equal(theirs.X, mine.X, 1e-3);
            Assert.Equal(theirs.Y, mine.Y, 1e-3);
            Assert.Equal(theirs.Width, mine.Width, 1e-3);
            Assert.Equal(theirs.Height, mine.Height, 1e-3);
        }
    }

    [Fact]
    public void ToPixelBox_Shear_BoundingBoxOfTheParallelogram()
    {
        // x = 0.5u + 0.25v: corners span ±0.75 normalised → 75 px wide, centred at 50.
        var box = GlimpseGeometry.ToPixelBox([0.5f, 0.25f, 0, 0, 0.5f, 0], 100);
        Assert.Equal(12.5, box.X, 4);
        Assert.Equal(75, box.Width, 4);
        Assert.Equal(50, box.Height, 4);
    }

    [Fact]
    public void ToPixel_AlignCorners_MapsEndsToEdgePixelCentres()
    {
        Assert.Equal(0.5, GlimpseGeometry.ToPixel(-1, 100, alignCorners: true), 9);
        Assert.Equal(99.5, GlimpseGeometry.ToPixel(1, 100, alignCorners: true), 9);
        Assert.Equal(0, GlimpseGeometry.ToPixel(-1, 100), 9);
        Assert.Equal(100, GlimpseGeometry.ToPixel(1, 100), 9);
    }

    [Fact]
    public void Area_And_IntersectionArea_ShearedGlimpse()
    {
        float[] theta = [0.4f, 0.2f, 0.1f, -0.1f, 0.3f, 0];
        var area = GlimpseGeometry.Area(theta, 100);
        Assert.Equal(Math.Abs(0.4 * 0.3 - 0.2 * -0.1) * 100 * 100, area, 3); // |det| · S²
        Assert.Equal(area, GlimpseGeometry.IntersectionArea(theta, 100, new PixelRect(-1000, -1000, 3000, 3000)), 3);
        // Halves of the plane split the area exactly.
        var left = GlimpseGeometry.IntersectionArea(theta, 100, new PixelRect(-1000, -1000, 1055, 3000));
        var right = GlimpseGeometry.IntersectionArea(theta, 100, new PixelRect(55, -1000, 3000, 3000));
        Assert.Equal(area, left + right, 3);
        Assert.True(left > 0 && right > 0);
    }

    [Fact]
    public void AddCoverage_AxisAlignedBox_CoversExactlyItsPixels()
    {
        // Box x 20..40, y 30..50: centre (30, 40) → tx = -0.4, ty = -0.2; zoom 0.2.
        var map = new float[100 * 100];
        GlimpseGeometry.AddCoverage([0.2f, 0, -0.4f, 0, 0.2f, -0.2f], 100, map, 2f);
        for (var y = 0; y < 100; y++)
            for (var x = 0; x < 100; x++)
                Assert.Equal(x is >= 20 and < 40 && y is >= 30 and < 50 ? 2f : 0f, map[y * 100 + x]);
    }

    [Fact]
    public void AddCoverage_DegenerateTheta_AddsNothing()
    {
        var map = new float[100 * 100];
        GlimpseGeometry.AddCoverage([0, 0, 0, 0, 0, 0], 100, map);
        Assert.All(map, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void WrongThetaLength_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => GlimpseGeometry.ToPixelBox([1, 0, 0], 100));
        Assert.Contains("expected 6", e.Message);
    }
}
