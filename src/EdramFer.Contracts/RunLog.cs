using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdramFer.Contracts;

/// <summary>One line of a run folder's <c>epochs.jsonl</c>: the trainer appends one after every epoch.</summary>
public sealed record EpochRecord
{
    /// <summary>1-based epoch.</summary>
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    /// <summary>Mean training loss.</summary>
    [JsonPropertyName("train_loss")] public double TrainLoss { get; init; }
    /// <summary>Training accuracy (0–1).</summary>
    [JsonPropertyName("train_accuracy")] public double TrainAccuracy { get; init; }
    /// <summary>Validation loss.</summary>
    [JsonPropertyName("val_loss")] public double ValidationLoss { get; init; }
    /// <summary>Validation accuracy (0–1).</summary>
    [JsonPropertyName("val_accuracy")] public double ValidationAccuracy { get; init; }
    /// <summary>Validation mean per-class accuracy (0–1).</summary>
    [JsonPropertyName("val_mean_per_class_accuracy")] public double ValidationMeanPerClassAccuracy { get; init; }
    /// <summary>Validation accuracy with mirror averaging (each image and its mirror image).</summary>
    [JsonPropertyName("val_accuracy_flip")] public double? ValidationAccuracyFlip { get; init; }
    /// <summary>Validation mean per-class accuracy with mirror averaging.</summary>
    [JsonPropertyName("val_mean_per_class_accuracy_flip")] public double? ValidationMeanPerClassAccuracyFlip { get; init; }
    /// <summary>Validation accuracy with the moving-average batch-norm statistics (before recalibration), when measured.</summary>
    [JsonPropertyName("val_accuracy_moving_average_bn")] public double? ValidationAccuracyMovingAverageBatchNorm { get; init; }
    /// <summary>Per glimpse step, the median effective scale sqrt|det θ| over the validation images.</summary>
    [JsonPropertyName("val_median_scale_by_step")] public double[]? MedianScaleByStep { get; init; }
    /// <summary>Per glimpse step, the mean distance (input pixels) the glimpse centre moved from the previous step.</summary>
    [JsonPropertyName("val_mean_shift_px_by_step")] public double[]? MeanShiftPixelsByStep { get; init; }
    /// <summary>Learning rate after the epoch.</summary>
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; }
    /// <summary>Wall-clock seconds of the epoch.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    /// <summary>Training images per second.</summary>
    [JsonPropertyName("images_per_second")] public double? ImagesPerSecond { get; init; }
    /// <summary>Training steps whose gradients were not finite and were redone with oneDNN off (since the epoch started or resumed).</summary>
    [JsonPropertyName("steps_redone_without_onednn")] public int? StepsRedoneWithoutOneDnn { get; init; }
}

/// <summary>A run folder's <c>metrics.json</c>: the trainer writes it when training finishes.</summary>
public sealed record RunMetrics
{
    /// <summary>The checkpoint the metrics belong to, relative to the run folder.</summary>
    [JsonPropertyName("checkpoint")] public string Checkpoint { get; init; } = "checkpoints/best.ckpt";
    /// <summary>Best epoch (by validation accuracy).</summary>
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    /// <summary>Epochs trained.</summary>
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    /// <summary>Model preset (paper, cpu, …).</summary>
    [JsonPropertyName("preset")] public string Preset { get; init; } = "";
    /// <summary>Glimpses per image.</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; }
    /// <summary>Upper bound of the glimpse scale (1 = unrestricted; the paper's zoom experiment uses 0.5 and 0.3).</summary>
    [JsonPropertyName("zoom_limit")] public double ZoomLimit { get; init; }
    /// <summary>Validation metrics of the best checkpoint.</summary>
    [JsonPropertyName("validation")] public ClassificationMetrics? Validation { get; init; }
    /// <summary>The same with mirror averaging; null when the best epoch predates that log.</summary>
    [JsonPropertyName("validation_flip_averaging")] public ClassificationMetrics? ValidationFlipAveraging { get; init; }
}

/// <summary>Reading and writing the run-log files with one set of serializer options.</summary>
public static class RunLog
{
    /// <summary>epochs.jsonl: one JSON object per line.</summary>
    public const string EpochsFile = "epochs.jsonl";
    /// <summary>metrics.json.</summary>
    public const string MetricsFile = "metrics.json";

    private static readonly JsonSerializerOptions Line = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private static readonly JsonSerializerOptions Indented = new(Line) { WriteIndented = true };

    /// <summary>One epochs.jsonl line (no newline).</summary>
    public static string ToLine(EpochRecord record) => JsonSerializer.Serialize(record, Line);

    /// <summary>Parses one epochs.jsonl line.</summary>
    public static EpochRecord ParseEpoch(string line) =>
        JsonSerializer.Deserialize<EpochRecord>(line, Line) ?? throw new JsonException("an epochs.jsonl line is 'null'");

    /// <summary>metrics.json text, indented.</summary>
    public static string ToJson(RunMetrics metrics) => JsonSerializer.Serialize(metrics, Indented);

    /// <summary>Parses metrics.json text.</summary>
    public static RunMetrics ParseMetrics(string json) =>
        JsonSerializer.Deserialize<RunMetrics>(json, Line) ?? throw new JsonException("metrics.json is 'null'");
}
