using EdramFer.Training.Model;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class ModelShapeTests
{
    [Fact]
    public void EdramNet_Forward_ReturnsPerStepLogitsValenceArousalAndThetas()
    {
        manual_seed(1);
        using var net = new EdramNet(TestModels.Tiny(steps: 3, classes: 5));
        using var x = rand(4, 1, 100, 100);
        using var o = net.forward(x);
        Assert.Equal(new long[] { 4, 3, 5 }, o.StepLogits.shape);
        Assert.Equal(new long[] { 4, 3, 2 }, o.ValenceArousal.shape);
        Assert.Equal(new long[] { 4, 3, 6 }, o.Thetas.shape);
        Assert.True(o.ValenceArousal.abs().max().item<float>() < 1f); // tanh head
    }

    [Fact]
    public void ContextNetwork_Forward_ReturnsLocaliserState()
    {
        using var ctx = new ContextNetwork(EdramConfig.Paper);
        using var x = rand(2, 1, 100, 100);
        using var h = ctx.forward(x);
        Assert.Equal(new long[] { 2, 512 }, h.shape); // 4x4x32 = 512: the paper's sizes need no projection
    }

    [Theory]
    [InlineData("paper", 3072)]
    [InlineData("cpu", 1536)]
    public void GlimpseNetwork_Presets_FlattenToDocumentedSize(string preset, int flat)
    {
        var c = EdramConfig.FromPreset(preset);
        Assert.Equal(flat, c.GlimpseChannels[^1] * c.GlimpseFeatureSide * c.GlimpseFeatureSide);
        using var g = new GlimpseNetwork(c);
        g.train();
        using var patch = rand(3, 1, 26, 26);
        using var theta = rand(3, 6);
        using var f = g.forward(patch, theta, c.Steps - 1);
        Assert.Equal(new long[] { 3, c.FeatureSize }, f.shape);
    }

    [Fact]
    public void EdramNet_WrongInputShape_ThrowsWithShapes()
    {
        using var net = new EdramNet(TestModels.Tiny());
        using var x = rand(2, 3, 100, 100);
        var e = Assert.Throws<ArgumentException>(() => net.forward(x));
        Assert.Contains("(B, 1, 100, 100)", e.Message);
        Assert.Contains("2, 3, 100, 100", e.Message);
    }

    [Fact]
    public void EdramConfig_UnknownPreset_Throws() =>
        Assert.Throws<ArgumentException>(() => EdramConfig.FromPreset("huge"));

    [Theory]
    [InlineData("paper", false)]
    [InlineData("cpu", false)]
    [InlineData("cpu", true)]
    public void ModelComplexity_Presets_CountsTheModulesParameters(string preset, bool whereBatchNorm)
    {
        var config = EdramConfig.FromPreset(preset) with { WhereBatchNorm = whereBatchNorm };
        using var net = new EdramNet(config);
        Assert.Equal(net.ParameterCount(), ModelComplexity.Parameters(config));
    }

    [Theory]
    [InlineData(new[] { 2, 2, 2 }, 48)]
    [InlineData(new[] { 1, 2 }, 32)]
    public void ModelComplexity_ResNetGlimpses_CountsTheModulesParameters(int[] blocks, int glimpse)
    {
        var config = EdramConfig.Cpu with { GlimpseNet = GlimpseNetKind.ResNet, ResNetBlocks = blocks, GlimpseSize = glimpse, Steps = 4 };
        using var net = new EdramNet(config);
        Assert.Equal(net.ParameterCount(), ModelComplexity.Parameters(config));
        var deeper = config with { ResNetBlocks = [.. blocks, 1] };
        Assert.True(ModelComplexity.MacsPerImage(deeper) > ModelComplexity.MacsPerImage(config));
    }

    [Fact]
    public void Forward_ResNetGlimpses_GivesEveryStepsLogits()
    {
        var config = TestModels.Tiny(steps: 3, classes: 5) with { GlimpseNet = GlimpseNetKind.ResNet, ResNetBlocks = [1, 1], GlimpseSize = 24 };
        using var net = new EdramNet(config);
        net.train();
        using var output = net.forward(TorchSharp.torch.rand(4, 1, config.InputSize, config.InputSize));
        Assert.Equal(new long[] { 4, 3, 5 }, output.StepLogits.shape);
        Assert.Equal(128, net.glimpse.resnet!.Channels);
        Assert.Empty(net.glimpse.convs);
    }

    [Fact]
    public void ModelComplexity_CpuPreset_IsCheaperThanPaper()
    {
        long paper = ModelComplexity.FlopsPerImage(EdramConfig.Paper), cpu = ModelComplexity.FlopsPerImage(EdramConfig.Cpu);
        // Paper glimpse CNN alone: 26²·9·(64 + 64·64) + 13²·9·(64·128 + 128·128) + 4²·9·(128·160 + 160·192) MACs per step.
        long glimpseCnn = 676L * 9 * (64 + 64 * 64) + 169L * 9 * (64 * 128 + 128 * 128) + 16L * 9 * (128 * 160 + 160 * 192);
        Assert.True(paper > 2 * 8 * glimpseCnn);
        Assert.True(cpu * 3 < paper, $"cpu {cpu} vs paper {paper}");
    }
}
