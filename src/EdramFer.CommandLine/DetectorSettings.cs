using System.ComponentModel;
using EdramFer.Vision;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.CommandLine;

/// <summary>Face-detector options shared by every command that preprocesses images.</summary>
public class DetectorSettings : CommandSettings
{
    // No [DefaultValue]: null means "not given", so scoring commands can fall back to the model's own preprocessing.
    [CommandOption("--detector <CHAIN>"),
     Description("Detector chain, comma-separated, tried in order: yunet, ssd, dlib, haar, none (none = images are face crops). Default: yunet (shipped in models/); score/evaluate: the model's own")]
    public string? Detector { get; init; }
    [CommandOption("--ssd-model <PB>"), Description("res10 SSD TensorFlow graph (opencv_face_detector_uint8.pb); env EDRAM_SSD_MODEL")]
    public string? SsdModel { get; init; }
    [CommandOption("--ssd-config <PBTXT>"), Description("res10 SSD graph config (opencv_face_detector.pbtxt); env EDRAM_SSD_CONFIG")]
    public string? SsdConfig { get; init; }
    [CommandOption("--yunet-model <ONNX>"), Description("YuNet model (face_detection_yunet_2023mar.onnx); env EDRAM_YUNET_MODEL")]
    public string? YuNetModel { get; init; }
    [CommandOption("--cascade <XML>"), Description("Haar/LBP cascade (default: opencv-data's frontal face cascade)")]
    public string? Cascade { get; init; }
    [CommandOption("--no-face <POLICY>"), Description("When no face is found: reject (status no_face, no label) | centre | whole (score that crop) (default: reject; score/evaluate: the model's own)")]
    public string? NoFace { get; init; }
    [CommandOption("--align <HOW>"), Description("Framing of a detected face: none (a square around the box) | eyes (eye line level, eyes where FER2013 has them; needs landmarks: yunet, dlib) (default: the model's own)")]
    public string? Align { get; init; }
    [CommandOption("--detector-size <PX>"), Description("Longest side YuNet and the SSD look at: larger images are scaled down to it, smaller ones run at their own size. Raise it (640, 1280) for group photos with small faces (default: 320; score/evaluate: the model's own)")]
    public int? DetectorSize { get; init; }

    public override ValidationResult Validate()
    {
        try { ToPreprocessOptions(); }
        catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
        return ValidationResult.Success();
    }

    /// <summary>The preprocessing options these settings describe (model paths fall back to environment variables).</summary>
    public PreprocessOptions ToPreprocessOptions(PreprocessOptions? defaults = null)
    {
        var o = defaults ?? new PreprocessOptions();
        var detectors = Detector is null ? o.Detectors : ParseChain(Detector);
        var policy = NoFace is null ? o.NoFacePolicy : ParsePolicy(NoFace);
        var alignment = Align?.ToLowerInvariant() switch
        {
            null => o.Alignment,
            "none" => FaceAlignment.None,
            "eyes" => FaceAlignment.Eyes,
            _ => throw new ArgumentException($"--align must be none or eyes, got '{Align}'"),
        };
        if (DetectorSize is < PreprocessOptions.MinDetectorInputSize or > PreprocessOptions.MaxDetectorInputSize)
            throw new ArgumentException($"--detector-size must be {PreprocessOptions.MinDetectorInputSize} to {PreprocessOptions.MaxDetectorInputSize}, got {DetectorSize}");
        return o with
        {
            Detectors = detectors,
            // Without detection the image is already a face crop: use all of it.
            NoFacePolicy = detectors.Count == 0 ? NoFacePolicy.WholeImage : policy,
            Alignment = alignment,
            DetectorInputSize = DetectorSize ?? o.DetectorInputSize,
            SsdModelPath = SsdModel ?? Environment.GetEnvironmentVariable("EDRAM_SSD_MODEL") ?? o.SsdModelPath,
            SsdConfigPath = SsdConfig ?? Environment.GetEnvironmentVariable("EDRAM_SSD_CONFIG") ?? o.SsdConfigPath,
            YuNetModelPath = YuNetModel ?? Environment.GetEnvironmentVariable("EDRAM_YUNET_MODEL") ?? o.YuNetModelPath,
            CascadePath = Cascade ?? o.CascadePath,
        };
    }

    /// <summary>Parses a detector chain such as "yunet,haar" (<see cref="DetectorNames.Parse"/>); ArgumentException on an unknown name.</summary>
    public static IReadOnlyList<DetectorKind> ParseChain(string chain)
    {
        try { return DetectorNames.Parse(chain); }
        catch (FormatException e) { throw new ArgumentException($"{char.ToUpperInvariant(e.Message[0])}{e.Message[1..]} in --detector."); }
    }

    /// <summary>Parses a no-face policy by its one name (centre, whole, reject).</summary>
    public static NoFacePolicy ParsePolicy(string policy) => NoFacePolicyNames.TryParse(policy)
        ?? throw new ArgumentException($"Unknown --no-face policy '{policy}': expected {string.Join(", ", NoFacePolicyNames.All)}.");
}
