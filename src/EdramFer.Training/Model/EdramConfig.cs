using System.Text.Json.Nodes;
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
    /// <summary>Glimpse feature extractor: EDRAM's six convolutions (<see cref="GlimpseChannels"/>), or a ResNet trunk
    /// (<see cref="ResNetBlocks"/>) that can start from ImageNet weights.</summary>
    public GlimpseNetKind GlimpseNet { get; init; } = GlimpseNetKind.Conv;
    /// <summary>ResNet trunk: residual blocks per stage (64, 128, 256, 512 channels); ResNet-18 is 2,2,2,2.</summary>
    public int[] ResNetBlocks { get; init; } = [2, 2, 2, 2];
    public int FeatureSize { get; init; } = 1024;
    /// <summary>Hidden size of the classification LSTM (first RNN).</summary>
    public int ClassifierHidden { get; init; } = 512;
    /// <summary>Hidden size of the localisation LSTM (second RNN, drives the emission network).</summary>
    public int LocaliserHidden { get; init; } = 512;
    /// <summary>Width of the two hidden layers of the classification MLP (and the valence/arousal head).</summary>
    public int MlpSize { get; init; } = 1024;
    /// <summary>Number of classes (FER2013 and AffectNet-7: 7).</summary>
    public int Classes { get; init; } = 7;
    /// <summary>How the emission network parametrises θ (see <see cref="EmissionKind"/>). Checkpoints written before the
    /// bounded emission existed have no such key and load as <see cref="EmissionKind.Affine"/> (<see cref="UpgradeJson"/>).</summary>
    public EmissionKind Emission { get; init; } = EmissionKind.Bounded;
    /// <summary>Largest glimpse scale: the glimpse's side relative to the image's (1 = unrestricted; the paper's
    /// experiments use 0.5 and 0.3). For the legacy affine emission: the upper bound of θ00 and θ11 only.</summary>
    public float ZoomLimit { get; init; } = 1f;
    /// <summary>Smallest glimpse scale of the bounded emission (0.1: a 10-px square of the 100-px input).</summary>
    public float MinZoom { get; init; } = 0.1f;
    /// <summary>Largest glimpse rotation of the bounded emission, in radians (0 = no rotation, the default).</summary>
    public float MaxRotation { get; init; }
    /// <summary>Bounded emission: keep the whole glimpse inside the image (true) or only its centre (false).</summary>
    public bool GlimpseInside { get; init; } = true;
    /// <summary>PyTorch affine_grid/grid_sample convention; the ONNX export uses the same value.</summary>
    public bool AlignCorners { get; init; } = false;
    /// <summary>
    /// ε of the "where" embedding's batch norms. θ barely varies between images while the emission's weights are small
    /// (a bounded-emission run had running variances of 1e-12 to 1e-5 there after 4 epochs): with PyTorch's 1e-5, the
    /// batch statistics blow those differences up in training and a drifting running mean breaks evaluation (validation
    /// 27 % against 43 % training accuracy). 1e-3 leaves θ's real variation (≈ 1e-2 and up) normalised as before.
    /// Configs without the key predate it and keep 1e-5 (<see cref="UpgradeJson"/>).
    /// </summary>
    public double WhereNormEpsilon { get; init; } = 1e-3;
    /// <summary>
    /// Batch-normalise the "where" embedding per step (EDRAM) or not. The bounded emission's θ is already in [−1, 1] and
    /// starts identical for every image; batch statistics over such near-constant inputs scale their tiny differences up
    /// by 1/sqrt(var + ε), which swamps the zoom loss's gradient on the scale and makes evaluation depend on a drifting
    /// running mean (docs/runs/bounded-z1: validation 22–47 % from epoch to epoch). Off by default; configs without the
    /// key predate the option and keep it on (<see cref="UpgradeJson"/>).
    /// </summary>
    public bool WhereBatchNorm { get; init; }
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

    /// <summary>
    /// Brings a config JSON object written by an older version up to date before it is deserialised: a config
    /// without "Emission" predates the bounded emission and is the affine one; without "WhereNormEpsilon" it used 1e-5; without "WhereBatchNorm" it had the where batch norms.
    /// </summary>
    public static void UpgradeJson(JsonObject config)
    {
        if (!config.ContainsKey(nameof(Emission))) config[nameof(Emission)] = nameof(EmissionKind.Affine);
        if (!config.ContainsKey(nameof(WhereNormEpsilon))) config[nameof(WhereNormEpsilon)] = 1e-5;
        if (!config.ContainsKey(nameof(WhereBatchNorm))) config[nameof(WhereBatchNorm)] = true;
    }

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
        if (ContextChannels.Length != 3) throw new ArgumentException($"ContextChannels needs 3 entries, got {ContextChannels.Length}.");
        if (GlimpseNet == GlimpseNetKind.Conv)
        {
            if (GlimpseChannels.Length != 6) throw new ArgumentException($"GlimpseChannels needs 6 entries, got {GlimpseChannels.Length}.");
            if (GlimpseFeatureSide < 1) throw new ArgumentException($"GlimpseSize {GlimpseSize} is too small: need at least 12.");
        }
        else
        {
            if (ResNetBlocks.Length is < 1 or > 4 || ResNetBlocks.Any(b => b < 1))
                throw new ArgumentException($"ResNetBlocks needs 1 to 4 stages of at least one block, got [{string.Join(", ", ResNetBlocks)}].");
            if (GlimpseSize < 16) throw new ArgumentException($"GlimpseSize {GlimpseSize} is too small for a ResNet trunk: need at least 16.");
        }
        if (ContextSize - 8 < 1) throw new ArgumentException($"ContextSize {ContextSize} is too small: need at least 9.");
        if (Steps < 1) throw new ArgumentException($"Steps must be ≥ 1, got {Steps}.");
        if (Classes < 2) throw new ArgumentException($"Classes must be ≥ 2, got {Classes}.");
        if (ZoomLimit is <= 0 or > 1) throw new ArgumentException($"ZoomLimit must be in (0, 1], got {ZoomLimit}.");
        if (Emission == EmissionKind.Bounded && (MinZoom <= 0 || MinZoom >= ZoomLimit))
            throw new ArgumentException($"MinZoom must be in (0, ZoomLimit = {ZoomLimit}), got {MinZoom}.");
        if (MaxRotation is < 0 or > MathF.PI) throw new ArgumentException($"MaxRotation must be in [0, π] radians, got {MaxRotation}.");
        // A glimpse rotated by 45° that must stay inside fits only up to scale 1/√2.
        if (Emission == EmissionKind.Bounded && MaxRotation > 0 && GlimpseInside && MinZoom > 0.7f)
            throw new ArgumentException($"MinZoom {MinZoom} is too large for rotated glimpses kept inside the image: at most 0.7.");
    }
}

/// <summary>How the emission network turns the localisation state into the glimpse's affine θ.</summary>
/// <summary>Which network turns a glimpse into features.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GlimpseNetKind>))]
public enum GlimpseNetKind
{
    /// <summary>EDRAM's six 3x3 convolutions with two max pools.</summary>
    Conv,
    /// <summary>A ResNet trunk (<see cref="ResNetTrunk"/>).</summary>
    ResNet,
}

[JsonConverter(typeof(JsonStringEnumConverter<EmissionKind>))]
public enum EmissionKind
{
    /// <summary>
    /// θ assembled from bounded quantities: scale s in [MinZoom, ZoomLimit] (the glimpse's side relative to the
    /// image's), an optional rotation within ±MaxRotation, and a translation that keeps the glimpse (or its centre)
    /// inside the image. The zoom loss and the zoom limit act on s.
    /// </summary>
    Bounded,
    /// <summary>EDRAM's six free entries: zoom entries θ00, θ11 clipped to [0, ZoomLimit], the others through tanh.
    /// Kept so models trained before the bounded emission still load and export.</summary>
    Affine,
}
