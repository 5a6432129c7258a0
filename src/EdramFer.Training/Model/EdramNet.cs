using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EdramFer.Training.Model;

/// <summary>Outputs of one forward pass; the caller owns (disposes) the tensors.</summary>
/// <param name="StepLogits">(B, T, C) class logits after every glimpse.</param>
/// <param name="ValenceArousal">(B, T, 2) tanh valence/arousal after every glimpse.</param>
/// <param name="Thetas">(B, T, 6) the affine θ each glimpse was sampled with.</param>
/// <param name="Zooms">(B, T, 2) what the zoom loss acts on (<see cref="EmissionNetwork.Zooms"/>); null: θ00 and θ11.</param>
public sealed record EdramOutput(Tensor StepLogits, Tensor ValenceArousal, Tensor Thetas, Tensor? Zooms = null) : IDisposable
{
    public void Dispose() { StepLogits.Dispose(); ValenceArousal.Dispose(); Thetas.Dispose(); Zooms?.Dispose(); }
}

/// <summary>
/// EDRAM for facial expressions (Ablavatski et al. 2017; Forch, Vitay &amp; Hamker). Two stacked LSTMs:
/// the first integrates "what x where" glimpse features and classifies; the second, initialised by the
/// context network, drives the emission network that places the next glimpse.
/// </summary>
public sealed class EdramNet : Module<Tensor, EdramOutput>
{
    public EdramConfig Config { get; }

    internal readonly ContextNetwork context;
    internal readonly GlimpseNetwork glimpse;
    internal readonly LSTMCell classifierRnn, localiserRnn;
    internal readonly EmissionNetwork emission;
    internal readonly Linear mlp1, mlp2, classes;
    internal readonly ModuleList<BatchNorm1d> mlp1Norms, mlp2Norms;   // [step]
    internal readonly Linear va1, va2;

    public EdramNet(EdramConfig config) : base(nameof(EdramNet))
    {
        config.Validate();
        Config = config;
        context = new ContextNetwork(config);
        glimpse = new GlimpseNetwork(config);
        classifierRnn = LSTMCell(config.FeatureSize, config.ClassifierHidden);
        localiserRnn = LSTMCell(config.ClassifierHidden, config.LocaliserHidden);
        emission = new EmissionNetwork(config);
        mlp1 = Linear(config.ClassifierHidden, config.MlpSize);
        mlp1Norms = GlimpseNetwork.PerStep(config.Steps, () => BatchNorm1d(config.MlpSize, momentum: config.BatchNormMomentum));
        mlp2 = Linear(config.MlpSize, config.MlpSize);
        mlp2Norms = GlimpseNetwork.PerStep(config.Steps, () => BatchNorm1d(config.MlpSize, momentum: config.BatchNormMomentum));
        classes = Linear(config.MlpSize, config.Classes);
        va1 = Linear(config.ClassifierHidden, config.MlpSize);
        va2 = Linear(config.MlpSize, 2);
        RegisterComponents();
    }

    /// <summary>image (B, 1, InputSize, InputSize), values in [0, 1] → per-step logits, valence/arousal, θ.</summary>
    public override EdramOutput forward(Tensor image)
    {
        var c = Config;
        if (image.dim() != 4 || image.shape[1] != 1 || image.shape[2] != c.InputSize || image.shape[3] != c.InputSize)
            throw new ArgumentException($"Expected input (B, 1, {c.InputSize}, {c.InputSize}), got ({string.Join(", ", image.shape)}).");
        using var scope = NewDisposeScope();
        long batch = image.shape[0];
        var h1 = zeros(batch, c.ClassifierHidden, device: image.device);
        var c1 = zeros(batch, c.ClassifierHidden, device: image.device);
        var h2 = context.forward(image);                                      // (B, H2)
        var c2 = zeros(batch, c.LocaliserHidden, device: image.device);
        var logits = new List<Tensor>(c.Steps);
        var va = new List<Tensor>(c.Steps);
        var thetas = new List<Tensor>(c.Steps);
        for (int t = 0; t < c.Steps; t++)
        {
            var theta = emission.forward(h2);                                 // (B, 6)
            var patch = GlimpseSensor.Sample(image, theta, c.GlimpseSize, c.AlignCorners); // (B, 1, g, g)
            var features = glimpse.forward(patch, theta, t);                 // (B, F)
            (h1, c1) = classifierRnn.forward(features, (h1, c1));            // (B, H1)
            (h2, c2) = localiserRnn.forward(h1, (h2, c2));                   // (B, H2)
            var x = functional.relu(mlp1Norms[t].forward(mlp1.forward(h1)));
            x = functional.relu(mlp2Norms[t].forward(mlp2.forward(x)));
            logits.Add(classes.forward(x));                                  // (B, C)
            va.Add(va2.forward(functional.relu(va1.forward(h1))).tanh());    // (B, 2)
            thetas.Add(theta);
        }
        var allThetas = stack(thetas, 1);
        var output = new EdramOutput(stack(logits, 1), stack(va, 1), allThetas, emission.Zooms(allThetas));
        output.Zooms!.MoveToOuterDisposeScope();
        output.StepLogits.MoveToOuterDisposeScope();
        output.ValenceArousal.MoveToOuterDisposeScope();
        output.Thetas.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());
}
