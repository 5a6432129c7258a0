namespace EdramFer.Contracts;

/// <summary>
/// The exported EDRAM model's contract (DESIGN §3), owned here and nowhere else: the exporter writes it, the model info
/// reader, the analysis and the video annotator read it. Input <see cref="InputName"/> float32 [N,1,S,S] = pixels ·
/// <see cref="InputScale"/>; outputs <see cref="ProbabilitiesName"/> [N,C] (last step), <see cref="ValenceArousalName"/>
/// [N,2], <see cref="GlimpsesName"/> [N,T,6] (θ per step, PyTorch's affine_grid convention) and
/// <see cref="StepProbabilitiesName"/> [N,T,C].
/// </summary>
public static class OnnxContract
{
    /// <summary>Input tensor: float32 [N,1,S,S].</summary>
    public const string InputName = "image";
    /// <summary>Class probabilities after the last glimpse [N,C].</summary>
    public const string ProbabilitiesName = "probabilities";
    /// <summary>Valence and arousal [N,2] (tanh).</summary>
    public const string ValenceArousalName = "valence_arousal";
    /// <summary>Affine θ of every glimpse [N,T,6].</summary>
    public const string GlimpsesName = "glimpses";
    /// <summary>Class probabilities after every glimpse [N,T,C].</summary>
    public const string StepProbabilitiesName = "step_probabilities";
    /// <summary>The outputs, in graph order.</summary>
    public static readonly IReadOnlyList<string> OutputNames = [ProbabilitiesName, ValenceArousalName, GlimpsesName, StepProbabilitiesName];
    /// <summary>Pixel bytes to input floats: 1/255, written with every digit a float needs.</summary>
    public const string InputScale = "0.00392156862745098";
    /// <summary><see cref="Metadata.TrainingData"/> of a model with seeded random weights (exports for testing consumers).</summary>
    public const string RandomWeightsTrainingData = "none (random weights)";

    /// <summary>The metadata keys every export writes (<c>edram.*</c>); the preprocessing keys are EdramFer.Vision's <c>preprocess.*</c>.</summary>
    public static class Metadata
    {
        /// <summary>Class labels in output order, comma-separated.</summary>
        public const string Labels = "edram.labels";
        /// <summary>Glimpses per image.</summary>
        public const string Steps = "edram.steps";
        /// <summary>Largest glimpse scale (1 = unrestricted).</summary>
        public const string ZoomLimit = "edram.zoom_limit";
        /// <summary>bounded | affine.</summary>
        public const string Emission = "edram.emission";
        /// <summary>Side of the square input.</summary>
        public const string InputSize = "edram.input_size";
        /// <summary>Side of the glimpse.</summary>
        public const string GlimpseSize = "edram.glimpse_size";
        /// <summary>The grid-sample convention of the glimpses (true | false).</summary>
        public const string AlignCorners = "edram.align_corners";
        /// <summary>Multiplier from pixel bytes to input floats.</summary>
        public const string InputScale = "edram.input_scale";
        /// <summary>Added after scaling.</summary>
        public const string InputOffset = "edram.input_offset";
        /// <summary>The network preset (paper | cpu | custom).</summary>
        public const string Preset = "edram.preset";
        /// <summary>The network's configuration as JSON.</summary>
        public const string Config = "edram.config";
        /// <summary>Whether the valence/arousal head was trained (true | false).</summary>
        public const string HasValenceArousal = "edram.has_valence_arousal";
        /// <summary>The training data (a dataset spec, or <see cref="RandomWeightsTrainingData"/>).</summary>
        public const string TrainingData = "edram.training_data";
        /// <summary>Validation accuracy of the exported checkpoint (mirror-averaged when the export is).</summary>
        public const string Accuracy = "edram.accuracy";
        /// <summary>Validation accuracy without mirror averaging, when the export averages.</summary>
        public const string AccuracyWithoutFlip = "edram.accuracy_without_flip";
        /// <summary>The checkpoint's epoch.</summary>
        public const string BestEpoch = "edram.best_epoch";
        /// <summary>Whether the graph averages each image with its mirror (true | false).</summary>
        public const string FlipAveraging = "edram.flip_averaging";
        /// <summary>The temperature the graph divides the logits by before the softmax (1: none).</summary>
        public const string Temperature = "edram.temperature";
        /// <summary>How the graph was quantized (absent: float). Written by <c>edram quantize</c>.</summary>
        public const string Quantization = "edram.quantization";
    }

    /// <summary>A boolean metadata value: "true" (any case, trimmed) is true; anything else, or no value, false.</summary>
    public static bool IsTrue(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v) && v.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);
}
