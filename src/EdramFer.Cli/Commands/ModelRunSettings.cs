using EdramFer.CommandLine;
using System.ComponentModel;
using EdramFer.ML;
using EdramFer.Vision;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>Options shared by the commands that run a model over a CSV of images (score, evaluate).</summary>
public class ModelRunSettings : ModelSettings
{
    [CommandOption("--input <CSV>"), Description("CSV with a header row; relative image paths resolve against the CSV's folder (score: also an image file or a folder, recursively)")]
    public string Input { get; init; } = "";
    [CommandOption("--image-column <NAME>"), DefaultValue("path"), Description("Column holding the image paths")]
    public string ImageColumn { get; init; } = "path";
    [CommandOption("--batch-size <N>"), DefaultValue(32), Description("Images per ONNX Runtime call (.onnx models)")]
    public int BatchSize { get; init; } = 32;
    [CommandOption("--threads <N>"), DefaultValue(0), Description("ONNX Runtime intra-op threads and preprocessing threads (0 = all cores)")]
    public int Threads { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required (an .onnx model or a pipeline .zip)");
        if (string.IsNullOrWhiteSpace(Input)) return ValidationResult.Error("--input is required (a CSV with a header row)");
        if (BatchSize < 1) return ValidationResult.Error($"--batch-size must be >= 1, got {BatchSize}");
        if (IsPipeline && (Detector ?? NoFace ?? SsdModel ?? SsdConfig ?? YuNetModel ?? Cascade ?? Align) is not null)
            return ValidationResult.Error("--model is a pipeline .zip: its preprocessing is fixed; detector options apply to .onnx models only");
        if (IsPipeline && Gpu != "none")
            return ValidationResult.Error("--model is a pipeline .zip: it keeps the GPU settings it was built with (edram pipeline --gpu)");
        return base.Validate();
    }

    /// <summary>Rows per chunk of a CSV run: eight ONNX Runtime batches (progress is saved per chunk).</summary>
    public int ChunkSize => Math.Max(1, BatchSize) * 8;

    /// <summary>True when --model is a saved ML.NET pipeline.</summary>
    public bool IsPipeline => Model.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens the model: the batched ONNX path for .onnx, ML.NET for a pipeline .zip.</summary>
    public ImageBatchScorer OpenScorer()
    {
        if (IsPipeline) return new PipelineImageScorer(Model);
        var (device, fallback) = ParseGpu();
        var scorer = EdramScorer.Load(Model, device, fallback, Threads);
        try
        {
            return new OnnxImageScorer(scorer, Preprocess(scorer.Info), BatchSize, Threads > 0 ? Threads : -1);
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }

    /// <summary>The model's own preprocessing, overridden by the detector options that were given.</summary>
    public PreprocessOptions Preprocess(EdramModelInfo info) => ToPreprocessOptions(info.Preprocess);

    /// <summary>What a resumed run must share with the interrupted one: the model file.</summary>
    public string ModelIdentity() => EdramModelInfo.Hash(Model);

    /// <summary>The options that change the output.</summary>
    public string OptionsIdentity() => string.Join("|", ImageColumn, Detector, NoFace, SsdModel, SsdConfig, YuNetModel, Cascade, Align);
}
