using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdramFer.Training.Model;

/// <summary>
/// A ResNet trunk for the glimpses (He et al. 2016, basic blocks), the alternative to EDRAM's six-convolution glimpse
/// network that can start from ImageNet weights (<see cref="PretrainedResNet"/>): a 7x7 stride-2 stem on the grey glimpse,
/// a 3x3 stride-2 max pool, stages of residual blocks (64, 128, 256, 512 channels; every stage after the first halves the
/// side) and a global average pool. Convolutions are shared by all glimpses; batch norms are per step, as everywhere in
/// EDRAM, because a wide first glimpse and a zoomed later one have different statistics.
/// </summary>
public sealed class ResNetTrunk : Module
{
    internal readonly Conv2d stem;
    internal readonly ModuleList<BatchNorm2d> stemNorms;   // [step]
    internal readonly ModuleList<ResidualBlock> blocks;

    public ResNetTrunk(EdramConfig c) : base(nameof(ResNetTrunk))
    {
        stem = Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false);
        stemNorms = GlimpseNetwork.PerStep(c.Steps, () => BatchNorm2d(64, momentum: c.BatchNormMomentum));
        blocks = new ModuleList<ResidualBlock>();
        int input = 64;
        for (int stage = 0; stage < c.ResNetBlocks.Length; stage++)
        {
            int output = StageChannels(stage);
            for (int b = 0; b < c.ResNetBlocks[stage]; b++)
            {
                blocks.Add(new ResidualBlock(input, output, stage > 0 && b == 0 ? 2 : 1, c));
                input = output;
            }
        }
        Channels = input;
        RegisterComponents();
    }

    /// <summary>Channels of the pooled feature vector (64 · 2^(stages − 1)).</summary>
    public int Channels { get; }

    /// <summary>Channels of stage <paramref name="stage"/> (0-based).</summary>
    public static int StageChannels(int stage) => 64 << stage;

    public Tensor forward(Tensor glimpse, int step)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(stemNorms[step].forward(stem.forward(glimpse)));  // (B, 64, g/2, g/2)
        x = functional.max_pool2d(x, 3, 2, 1);                                     // (B, 64, g/4, g/4)
        foreach (var block in blocks) x = block.forward(x, step);                  // (B, C, s, s)
        return x.mean(new long[] { 2, 3 }).MoveToOuterDisposeScope();              // (B, C)
    }
}

/// <summary>Two 3x3 convolutions with a shortcut; a 1x1 convolution on the shortcut where the shape changes.</summary>
public sealed class ResidualBlock : Module
{
    internal readonly Conv2d conv1, conv2;
    internal readonly Conv2d? down;
    internal readonly ModuleList<BatchNorm2d> norms1, norms2, downNorms;   // [step]

    public ResidualBlock(int input, int output, int stride, EdramConfig c) : base(nameof(ResidualBlock))
    {
        Stride = stride;
        conv1 = Conv2d(input, output, 3, stride: stride, padding: 1, bias: false);
        norms1 = GlimpseNetwork.PerStep(c.Steps, () => BatchNorm2d(output, momentum: c.BatchNormMomentum));
        conv2 = Conv2d(output, output, 3, padding: 1, bias: false);
        norms2 = GlimpseNetwork.PerStep(c.Steps, () => BatchNorm2d(output, momentum: c.BatchNormMomentum));
        var needsDown = stride != 1 || input != output;
        down = needsDown ? Conv2d(input, output, 1, stride: stride, bias: false) : null;
        downNorms = needsDown
            ? GlimpseNetwork.PerStep(c.Steps, () => BatchNorm2d(output, momentum: c.BatchNormMomentum))
            : new ModuleList<BatchNorm2d>();
        RegisterComponents();
    }

    /// <summary>Stride of the first convolution and the shortcut.</summary>
    public int Stride { get; }

    public Tensor forward(Tensor x, int step)
    {
        using var scope = NewDisposeScope();
        var y = functional.relu(norms1[step].forward(conv1.forward(x)));
        y = norms2[step].forward(conv2.forward(y));
        var shortcut = down is null ? x : downNorms[step].forward(down.forward(x));
        return functional.relu(y + shortcut).MoveToOuterDisposeScope();
    }
}
