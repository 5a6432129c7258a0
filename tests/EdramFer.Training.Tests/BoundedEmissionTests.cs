using EdramFer.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

/// <summary>The bounded emission: θ's scale, rotation and translation stay in their bounds for any state.</summary>
public class BoundedEmissionTests
{
    [Theory]
    [InlineData(1f, 0f, true)]
    [InlineData(0.5f, 0f, true)]
    [InlineData(0.3f, 0f, true)]
    [InlineData(1f, 0.5f, true)]
    [InlineData(0.5f, 0.5f, false)]
    [InlineData(1f, 0f, false)]
    public void Forward_RandomAndExtremeStates_ThetaWithinBounds(float limit, float maxRotation, bool inside)
    {
        var config = TestModels.Tiny(zoomLimit: limit) with { MaxRotation = maxRotation, GlimpseInside = inside };
        using var e = new EmissionNetwork(config);
        using var gen = new Generator(11);
        using (no_grad())
            e.linear.weight!.normal_(0, 3, gen);                       // large weights: raw outputs far into the saturated ends
        for (int round = 0; round < 40; round++)
        {
            using var scope = NewDisposeScope();
            double spread = round < 20 ? 1 : Math.Pow(10, round - 20);  // up to 1e19: tanh and sigmoid saturate exactly
            var state = randn(new long[] { 256, 16 }, generator: gen) * spread;
            var theta = e.forward(state).data<float>().ToArray();
            for (int b = 0; b < 256; b++) AssertWithinBounds(theta.AsSpan(b * 6, 6), config);
        }
    }

    static void AssertWithinBounds(ReadOnlySpan<float> t, EdramConfig c)
    {
        const float Eps = 1e-5f;
        float scale = MathF.Sqrt(MathF.Abs(t[0] * t[4] - t[1] * t[3]));
        Assert.InRange(scale, c.MinZoom - Eps, c.ZoomLimit + Eps);
        Assert.Equal(t[0], t[4], 6);                                   // isotropic: s·cos r on the diagonal
        Assert.Equal(-t[1], t[3], 6);                                  // rotation: −s·sin r, s·sin r
        float rotation = MathF.Atan2(t[3], t[0]);
        Assert.InRange(MathF.Abs(rotation), 0, c.MaxRotation + Eps);
        // Every corner of the glimpse (±1, ±1 in its own frame) lands inside the image, or at least its centre.
        foreach (var (x, y) in new[] { (-1f, -1f), (1f, -1f), (-1f, 1f), (1f, 1f), (0f, 0f) })
        {
            if (!c.GlimpseInside && (x, y) != (0f, 0f)) continue;
            Assert.InRange(t[0] * x + t[1] * y + t[2], -1 - Eps, 1 + Eps);
            Assert.InRange(t[3] * x + t[4] * y + t[5], -1 - Eps, 1 + Eps);
        }
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    [InlineData(0.3f)]
    public void Forward_AtInitialisation_CentredNearLargestScaleForEveryState(float limit)
    {
        var config = TestModels.Tiny(zoomLimit: limit);
        using var e = new EmissionNetwork(config);
        using var theta = e.forward(randn(5, 16));
        var t = theta.data<float>().ToArray();
        float expected = config.MinZoom + (float)EmissionNetwork.InitialScaleFraction * (limit - config.MinZoom);
        for (int b = 0; b < 5; b++)
            Assert.Equal(new[] { expected, 0f, 0f, 0f, expected, 0f }, t.Skip(b * 6).Take(6).ToArray(), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void Zooms_Bounded_IsScaleOnBothEntriesAndRotationInvariant()
    {
        var config = TestModels.Tiny() with { MaxRotation = 1f };
        using var e = new EmissionNetwork(config);
        float s = 0.4f, r = 0.7f;
        var theta = new[] { s * MathF.Cos(r), -s * MathF.Sin(r), 0.1f, s * MathF.Sin(r), s * MathF.Cos(r), -0.2f };
        using var zooms = e.Zooms(tensor(theta).view(1, 1, 6));
        Assert.Equal(new[] { s, s }, zooms.data<float>().ToArray(), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void Validate_MinZoomAtOrAboveLimit_ThrowsNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => (TestModels.Tiny(zoomLimit: 0.3f) with { MinZoom = 0.3f }).Validate());
        Assert.Contains("MinZoom", e.Message);
        Assert.Contains("0.3", e.Message);
    }

    sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => MathF.Abs(a - b) <= tolerance;
        public int GetHashCode(float x) => 0;
    }
}

/// <summary>Configs written before a key existed load with the value they were trained with.</summary>
public class EdramConfigUpgradeTests
{
    [Fact]
    public void UpgradeJson_ConfigWithoutNewKeys_AffineEmissionAndOldWhereNorms()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse("""{"Preset":"cpu","ZoomLimit":1}""")!.AsObject();
        EdramConfig.UpgradeJson(json);
        var config = System.Text.Json.JsonSerializer.Deserialize<EdramConfig>(json)!;
        Assert.Equal(EmissionKind.Affine, config.Emission);
        Assert.True(config.WhereBatchNorm);
        Assert.Equal(1e-5, config.WhereNormEpsilon);
        using var net = new EdramNet(config);
        Assert.Equal(config.Steps, net.glimpse.whereNorms.Count);
        Assert.Equal(1e-5, net.glimpse.whereNorms[0].eps, 12);
    }

    [Fact]
    public void UpgradeJson_CurrentConfig_Unchanged_NoWhereNorms()
    {
        var current = EdramConfig.Cpu;
        var json = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(current))!.AsObject();
        EdramConfig.UpgradeJson(json);
        var config = System.Text.Json.JsonSerializer.Deserialize<EdramConfig>(json)!;
        Assert.Equal(current.ResNetBlocks, config.ResNetBlocks);
        Assert.Equal(current, config with { GlimpseChannels = current.GlimpseChannels, ContextChannels = current.ContextChannels, ResNetBlocks = current.ResNetBlocks });
        Assert.False(config.WhereBatchNorm);
        using var net = new EdramNet(config);
        Assert.Empty(net.glimpse.whereNorms);
        Assert.DoesNotContain(net.state_dict().Keys, k => k.Contains("whereNorms"));
    }

    [Fact]
    public void WhereBatchNormOn_UsesTheConfiguredEpsilon()
    {
        using var net = new EdramNet(EdramConfig.Cpu with { WhereBatchNorm = true });
        Assert.Equal(1e-3, net.glimpse.whereNorms[0].eps, 12);
    }
}
