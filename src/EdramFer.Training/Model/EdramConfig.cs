using System.Text.Json.Serialization;

namespace EdramFer.Training.Model;

/// <summary>
/// Every size of the EDRAM network. One record, stored in checkpoints and ONNX metadata, so a
/// checkpoint rebuilds the exact model. Defaults are the seed paper's (Forch, Vitay &amp; Hamker).
/// </summary>
public sealed record EdramConfig
{
    /// <summary>Preset name this config came from ("paper", "cpu" or "custom").</summary>
    public string Preset { get; init; } = "paper";
    /// <summary>Side of the square greyscale input (the preprocessing output).</summary>
    public int InputSize { get; init; } = 100;
    /// <summary>Side of the square glimpse the spatial transformer samples (EDRAM: 26).</summary>
    public int GlimpseSize { get; init; } = 26;
    /// <summary>Number of glimpses (time steps). EDRAM default 8.</summary>
    public int Steps { get; init; } = 8;
    /// <summary>Context network input: the whole image down-scaled to this side (EDRAM: 12).</summary>
    public int ContextSize { get; init; } = 12;
    /// <summary>Context CNN channels: 5x5 then two 3x3 valid convolutions (12→8→6→4).</summary>
    public int[] ContextChannels { get; init; } = [16, 16, 32];
    /// <summary>Glimpse CNN channels: conv, conv, pool, conv, conv, pool, conv (valid), conv (EDRAM: 64 64 128 128 160 192).</summary>
    public int[] GlimpseChannels { get; init; } = [64, 64, 128, 128, 160, 192];
    /// <summary>Width of the "what" and "where" embeddings that are multiplied element-wise (EDRAM: 1024).</summary>
    public int FeatureSize { get; init; } = 1024;
    /// <summary>Hidden size of the classification LSTM (first RNN).</summary>
    public int ClassifierHidden { get; init; } = 512;
    /// <summary>Hidden size of the localisation LSTM (second RNN, drives the emission network).</summary>
    public int LocaliserHidden { get; init; } = 512;
    /// <summary>Width of the two hidden layers of the classification MLP (and the valence/arousal head).</summary>
    public int MlpSize { get; init; } = 1024;
    /// <summary>Number of classes (FER2013 and AffectNet-7: 7).</summary>
    public int Classes { get; init; } = 7;
    /// <summary>Upper bound of the zoom entries θ00, θ11 (1 = unrestricted; the paper's experiments use 0.5 and 0.3).</summary>
    public float ZoomLimit { get; init; } = 1f;
    /// <summary>PyTorch affine_grid/grid_sample convention; the ONNX export uses the same value.</summary>
    public bool AlignCorners { get; init; } = false;
    /// <summary>Batch-norm running-average momentum (EDRAM: moving-average decay 0.05).</summary>
    public double BatchNormMomentum { get; init; } = 0.05;

    /// <summary>The seed paper's network.</summary>
    public static EdramConfig Paper => new();

    /// <summary>
    /// A narrower network that trains in about an hour per few epochs on a 2-core CPU: half the glimpse
    /// channels, 512-wide features, 256-wide LSTMs, 6 glimpses. Same topology as the paper.
    /// </summary>
    public static EdramConfig Cpu => new()
    {
        Preset = "cpu",
        Steps = 6,
        GlimpseChannels = [32, 32, 64, 64, 80, 96],
        FeatureSize = 512,
        ClassifierHidden = 256,
        LocaliserHidden = 256,
        MlpSize = 512,
    };

    /// <summary>Looks a preset up by name.</summary>
    public static EdramConfig FromPreset(string name) => name.ToLowerInvariant() switch
    {
        "paper" => Paper,
        "cpu" => Cpu,
        _ => throw new ArgumentException($"Unknown preset '{name}': expected 'paper' or 'cpu'.", nameof(name)),
    };

    /// <summary>Side of the glimpse CNN's last feature map: two 2x2 pools, then one valid 3x3 convolution.</summary>
    [JsonIgnore] public int GlimpseFeatureSide => GlimpseSize / 2 / 2 - 2;

    /// <summary>Throws with the offending numbers when the config cannot build a network.</summary>
    public void Validate()
    {
        if (GlimpseChannels.Length != 6) throw new ArgumentException($"GlimpseChannels needs 6 entries, got {GlimpseChannels.Length}.");
        if (ContextChannels.Length != 3) throw new ArgumentException($"ContextChannels needs 3 entries, got {ContextChannels.Length}.");
        if (GlimpseFeatureSide < 1) throw new ArgumentException($"GlimpseSize {GlimpseSize} is too small: need at least 12.");
        if (ContextSize - 8 < 1) throw new ArgumentException($"ContextSize {ContextSize} is too small: need at least 9.");
        if (Steps < 1) throw new ArgumentException($"Steps must be ≥ 1, got {Steps}.");
        if (Classes < 2) throw new ArgumentException($"Classes must be ≥ 2, got {Classes}.");
        if (ZoomLimit is <= 0 or > 1) throw new ArgumentException($"ZoomLimit must be in (0, 1], got {ZoomLimit}.");
    }
}
