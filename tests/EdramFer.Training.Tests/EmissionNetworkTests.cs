using EdramFer.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class EmissionNetworkTests
{
    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    [InlineData(0.3f)]
    public void Forward_AffineAtInitialisation_StartsAtWidestAllowedZoom(float limit)
    {
        using var e = new EmissionNetwork(TestModels.Tiny(zoomLimit: limit) with { Emission = EmissionKind.Affine });
        using var theta = e.forward(randn(3, 16));
        var t = theta.data<float>().ToArray();
        for (int b = 0; b < 3; b++)
            Assert.Equal(new[] { limit, 0f, 0f, 0f, limit, 0f }, t.Skip(b * 6).Take(6).ToArray());
    }

    [Fact]
    public void Forward_AffineLargeAndNegativeZoom_ClipsToZeroAndLimit()
    {
        using var e = new EmissionNetwork(TestModels.Tiny(zoomLimit: 0.5f) with { Emission = EmissionKind.Affine });
        using (no_grad())
        {
            var p = e.parameters().ToArray();
            var bias = p.Single(x => x.dim() == 1);
            bias.copy_(tensor(new float[] { 3f, 5f, 5f, 0f, -2f, -5f }));
        }
        using var theta = e.forward(zeros(1, 16));
        var t = theta.data<float>().ToArray();
        Assert.Equal(0.5f, t[0]);                       // zoom above the limit → limit
        Assert.Equal(0f, t[4]);                         // negative zoom → 0
        Assert.Equal(MathF.Tanh(5f), t[1], 5);          // shear and translation pass through tanh
        Assert.Equal(MathF.Tanh(-5f), t[5], 5);
    }
}
