using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdramFer.Training.Model;

/// <summary>
/// Glimpse CNN plus the "what" x "where" product: conv features of the glimpse → FC ("what"),
/// the six affine values → FC ("where"), multiplied element-wise. Every batch norm has one
/// instance per time step (the seed paper's change to EDRAM): statistics differ between glimpses. The "where"
/// embedding's are optional (<see cref="EdramConfig.WhereBatchNorm"/>).
/// </summary>
public sealed class GlimpseNetwork : Module
{
    internal readonly ModuleList<Conv2d> convs;
    internal readonly ModuleList<ModuleList<BatchNorm2d>> convNorms;   // [layer][step]
    internal readonly ResNetTrunk? resnet;                               // instead of convs (EdramConfig.GlimpseNet)
    internal readonly Linear what, where;
    internal readonly ModuleList<BatchNorm1d> whatNorms, whereNorms;   // [step]

    public GlimpseNetwork(EdramConfig c) : base(nameof(GlimpseNetwork))
    {
        var ch = c.GlimpseChannels;
        convs = new ModuleList<Conv2d>();
        convNorms = new ModuleList<ModuleList<BatchNorm2d>>();
        int input = 1;
        for (int layer = 0; c.GlimpseNet == GlimpseNetKind.Conv && layer < ch.Length; layer++)
        {
            // Layer 4 (the fifth) is valid so the map ends at (Glimpse/4 - 2)²: 4x4x192 = 3072 for the paper size.
            convs.Add(Conv2d(input, ch[layer], 3, padding: layer == 4 ? 0 : 1));
            convNorms.Add(PerStep(c.Steps, () => BatchNorm2d(ch[layer], momentum: c.BatchNormMomentum)));
            input = ch[layer];
        }
        if (c.GlimpseNet == GlimpseNetKind.ResNet) resnet = new ResNetTrunk(c);
        int side = c.GlimpseFeatureSide;
        what = Linear(resnet?.Channels ?? ch[^1] * side * side, c.FeatureSize);
        where = Linear(6, c.FeatureSize);
        whatNorms = PerStep(c.Steps, () => BatchNorm1d(c.FeatureSize, momentum: c.BatchNormMomentum));
        whereNorms = c.WhereBatchNorm
            ? PerStep(c.Steps, () => BatchNorm1d(c.FeatureSize, eps: c.WhereNormEpsilon, momentum: c.BatchNormMomentum))
            : new ModuleList<BatchNorm1d>();   // empty: θ is bounded already (EdramConfig.WhereBatchNorm)
        RegisterComponents();
    }

    internal static ModuleList<T> PerStep<T>(int steps, Func<T> make) where T : Module
    {
        var list = new ModuleList<T>();
        for (int t = 0; t < steps; t++) list.Add(make());
        return list;
    }

    /// <summary>glimpse (B, 1, g, g), theta (B, 6), step t → features (B, FeatureSize).</summary>
    public Tensor forward(Tensor glimpse, Tensor theta, int step)
    {
        using var scope = NewDisposeScope();
        var x = resnet?.forward(glimpse, step) ?? glimpse;                // ResNet: (B, C) pooled
        for (int layer = 0; layer < convs.Count; layer++)
        {
            x = functional.relu(convNorms[layer][step].forward(convs[layer].forward(x)));
            if (layer is 1 or 3) x = functional.max_pool2d(x, 2);    // (B, 64, 13, 13), (B, 128, 6, 6)
        }
        var whatFeatures = functional.relu(whatNorms[step].forward(what.forward(x.flatten(1))));   // (B, F)
        var whereLinear = where.forward(theta);
        var whereFeatures = functional.relu(whereNorms.Count == 0 ? whereLinear : whereNorms[step].forward(whereLinear)); // (B, F)
        return (whatFeatures * whereFeatures).MoveToOuterDisposeScope();
    }
}
