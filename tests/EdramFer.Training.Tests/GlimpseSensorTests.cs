using EdramFer.Training.Model;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class GlimpseSensorTests
{
    [Fact]
    public void Sample_IdentityTheta_ReturnsDownsampledInput()
    {
        manual_seed(3);
        using var image = rand(2, 1, 100, 100);
        using var theta = tensor(new float[] { 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0 }).view(2, 6);
        using var glimpse = GlimpseSensor.Sample(image, theta, 26, alignCorners: false);
        // Identity θ with half-pixel centres is exactly bilinear resizing (no antialiasing).
        using var expected = nn.functional.interpolate(image, new long[] { 26, 26 }, mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(glimpse.allclose(expected, atol: 1e-5), $"max diff {(glimpse - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Sample_ZoomHalfTranslated_SamplesBottomRightQuadrant()
    {
        // A 100x100 image whose bottom-right quadrant is a gradient; θ = zoom 0.5 centred at (+0.5, +0.5).
        var data = new float[100 * 100];
        for (int y = 50; y < 100; y++) for (int x = 50; x < 100; x++) data[y * 100 + x] = (x - 50 + (y - 50) * 50) / 2500f;
        using var image = tensor(data).view(1, 1, 100, 100);
        using var theta = tensor(new float[] { 0.5f, 0, 0.5f, 0, 0.5f, 0.5f }).view(1, 6);
        using var glimpse = GlimpseSensor.Sample(image, theta, 25, alignCorners: false);
        using var quadrant = image[.., .., 50..100, 50..100];
        using var expected = nn.functional.interpolate(quadrant, new long[] { 25, 25 }, mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(glimpse.allclose(expected, atol: 1e-5), $"max diff {(glimpse - expected).abs().max().item<float>()}");
        Assert.True(glimpse.min().item<float>() >= 0f);
    }

    [Fact]
    public void ToPixelBox_ZoomAndTranslation_GivesRectangleInPixels()
    {
        var box = GlimpseSensor.ToPixelBox(new float[] { 0.5f, 0, 0.5f, 0, 0.25f, -0.5f }, 100);
        Assert.Equal((50f, 12.5f, 50f, 25f), box);
    }
}
