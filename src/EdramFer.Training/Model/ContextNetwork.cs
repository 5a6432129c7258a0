using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdramFer.Training.Model;

/// <summary>
/// Context CNN on the whole image down-scaled to ContextSize² (EDRAM: 12x12): its features are the
/// initial hidden state of the localisation LSTM, so the first glimpse already depends on the image.
/// </summary>
public sealed class ContextNetwork : Module<Tensor, Tensor>
{
    internal readonly int _size;
    internal readonly Conv2d conv1, conv2, conv3;
    internal readonly BatchNorm2d bn1, bn2, bn3;
    internal readonly Module<Tensor, Tensor> project;

    public ContextNetwork(EdramConfig c) : base(nameof(ContextNetwork))
    {
        _size = c.ContextSize;
        var ch = c.ContextChannels;
        conv1 = Conv2d(1, ch[0], 5);
        bn1 = BatchNorm2d(ch[0], momentum: c.BatchNormMomentum);
        conv2 = Conv2d(ch[0], ch[1], 3);
        bn2 = BatchNorm2d(ch[1], momentum: c.BatchNormMomentum);
        conv3 = Conv2d(ch[1], ch[2], 3);
        bn3 = BatchNorm2d(ch[2], momentum: c.BatchNormMomentum);
        int side = c.ContextSize - 8, flat = ch[2] * side * side;
        // EDRAM: 4x4x32 = 512 = LSTM size, used as is; other sizes get a linear projection.
        project = flat == c.LocaliserHidden ? Identity() : Linear(flat, c.LocaliserHidden);
        RegisterComponents();
    }

    /// <summary>image (B, 1, H, W) → initial localisation state (B, LocaliserHidden).</summary>
    public override Tensor forward(Tensor image)
    {
        using var scope = NewDisposeScope();
        var x = functional.adaptive_avg_pool2d(image, new long[] { _size, _size }); // (B, 1, 12, 12)
        x = functional.relu(bn1.forward(conv1.forward(x)));                         // (B, 16, 8, 8)
        x = functional.relu(bn2.forward(conv2.forward(x)));                         // (B, 16, 6, 6)
        x = functional.relu(bn3.forward(conv3.forward(x)));                         // (B, 32, 4, 4)
        return project.forward(x.flatten(1)).MoveToOuterDisposeScope();
    }
}
