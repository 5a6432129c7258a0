using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdramFer.Analysis;

/// <summary>One line of a run folder's <c>epochs.jsonl</c> (written by the trainer after every epoch).</summary>
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
    /// <summary>Learning rate after the epoch.</summary>
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; }
    /// <summary>Wall-clock seconds of the epoch.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
}

/// <summary>Validation metrics as the trainer writes them (the <c>validation</c> object of metrics.json).</summary>
public sealed record RunValidation
{
    /// <summary>Images.</summary>
    [JsonPropertyName("count")] public long Count { get; init; }
    /// <summary>Accuracy (0–1).</summary>
    [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    /// <summary>Mean per-class accuracy (0–1).</summary>
    [JsonPropertyName("mean_per_class_accuracy")] public double MeanPerClassAccuracy { get; init; }
    /// <summary>Accuracy per class label.</summary>
    [JsonPropertyName("per_class_accuracy")] public Dictionary<string, double> PerClassAccuracy { get; init; } = new();
    /// <summary>Rows = truth, columns = prediction, in <see cref="Labels"/> order.</summary>
    [JsonPropertyName("confusion_matrix")] public long[][] ConfusionMatrix { get; init; } = [];
    /// <summary>Class labels.</summary>
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    /// <summary>Validation loss.</summary>
    [JsonPropertyName("loss")] public double Loss { get; init; }
    /// <summary>Valence CCC, when the run had valence labels.</summary>
    [JsonPropertyName("valence_ccc")] public double? ValenceCcc { get; init; }
    /// <summary>Arousal CCC, when the run had arousal labels.</summary>
    [JsonPropertyName("arousal_ccc")] public double? ArousalCcc { get; init; }
}

/// <summary>A run folder's <c>metrics.json</c> (written when training finishes).</summary>
public sealed record RunMetrics
{
    /// <summary>Best epoch (by validation accuracy).</summary>
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    /// <summary>Epochs trained.</summary>
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    /// <summary>Model preset (paper, cpu, …).</summary>
    [JsonPropertyName("preset")] public string Preset { get; init; } = "";
    /// <summary>Glimpses per image.</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; }
    /// <summary>Upper bound of the zoom (1 = unconstrained; the paper's zoom experiment uses 0.5 and 0.3).</summary>
    [JsonPropertyName("zoom_limit")] public double ZoomLimit { get; init; }
    /// <summary>Validation metrics of the best checkpoint.</summary>
    [JsonPropertyName("validation")] public RunValidation? Validation { get; init; }
}

/// <summary>A training run folder: its per-epoch log and, once finished, its metrics.</summary>
/// <param name="Folder">the run folder</param>
/// <param name="Epochs">epochs.jsonl, in order (empty when absent)</param>
/// <param name="Metrics">metrics.json, or null while the run has not finished</param>
public sealed record TrainingRun(string Folder, IReadOnlyList<EpochRecord> Epochs, RunMetrics? Metrics)
{
    /// <summary>The folder's name.</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Folder));

    /// <summary>Reads a run folder; throws naming the file and line on malformed JSON.</summary>
    public static TrainingRun Read(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"run folder not found: '{folder}'");
        var epochs = new List<EpochRecord>();
        var log = Path.Combine(folder, "epochs.jsonl");
        if (File.Exists(log))
        {
            var n = 0;
            foreach (var line in File.ReadLines(log))
            {
                n++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try { epochs.Add(JsonSerializer.Deserialize<EpochRecord>(line)!); }
                catch (JsonException e) { throw new InvalidDataException($"'{log}' line {n}: {e.Message}", e); }
            }
        }
        RunMetrics? metrics = null;
        var m = Path.Combine(folder, "metrics.json");
        if (File.Exists(m))
        {
            try { metrics = JsonSerializer.Deserialize<RunMetrics>(File.ReadAllText(m)); }
            catch (JsonException e) { throw new InvalidDataException($"'{m}': {e.Message}", e); }
        }
        return new TrainingRun(Path.GetFullPath(folder), epochs, metrics);
    }

    /// <summary>Every sub-folder of <paramref name="runsFolder"/> with an epochs.jsonl or a metrics.json, by name; empty when the folder is absent.</summary>
    public static IReadOnlyList<TrainingRun> FindAll(string runsFolder) =>
        !Directory.Exists(runsFolder) ? []
            : Directory.GetDirectories(runsFolder).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, "epochs.jsonl")) || File.Exists(Path.Combine(d, "metrics.json")))
                .Select(Read).ToList();
}

/// <summary>One row of the zoom-experiment table.</summary>
/// <param name="Source">"paper (AffectNet)" or the run folder name</param>
/// <param name="Dataset">data the figure is on</param>
/// <param name="ZoomLimit">zoom upper bound (1 = none)</param>
/// <param name="Steps">glimpses</param>
/// <param name="MeanPerClassAccuracy">mean per-class accuracy in %, null when unknown</param>
/// <param name="Accuracy">accuracy in %, null when unknown</param>
public sealed record ZoomRow(string Source, string Dataset, double ZoomLimit, int? Steps, double? MeanPerClassAccuracy, double? Accuracy);

/// <summary>The seed paper's zoom experiment next to the runs that exist.</summary>
public static class ZoomExperiment
{
    /// <summary>
    /// Forch, Vitay &amp; Hamker: EDRAM on AffectNet (7 classes, balanced validation set, so accuracy = mean per-class
    /// accuracy): 60.4 % unconstrained, 57.8 % with zoom ≤ 0.5, 41.8 % with zoom ≤ 0.3 (DESIGN §2).
    /// </summary>
    public static IReadOnlyList<ZoomRow> Paper { get; } =
    [
        new("paper (Forch et al.)", "AffectNet-7 val (balanced)", 1.0, null, 60.4, 60.4),
        new("paper (Forch et al.)", "AffectNet-7 val (balanced)", 0.5, null, 57.8, 57.8),
        new("paper (Forch et al.)", "AffectNet-7 val (balanced)", 0.3, null, 41.8, 41.8),
    ];

    /// <summary>The paper's rows followed by one row per finished run (metrics.json), sorted by zoom limit, descending.</summary>
    public static IReadOnlyList<ZoomRow> Table(IEnumerable<TrainingRun> runs, string dataset = "run validation split") =>
        Paper.Concat(runs.Where(r => r.Metrics is not null).Select(r => new ZoomRow(r.Name, dataset, r.Metrics!.ZoomLimit, r.Metrics.Steps,
                r.Metrics.Validation is { } v ? Math.Round(100 * v.MeanPerClassAccuracy, 1) : null,
                r.Metrics.Validation is { } w ? Math.Round(100 * w.Accuracy, 1) : null))
            .OrderByDescending(r => r.ZoomLimit).ThenBy(r => r.Source, StringComparer.Ordinal)).ToList();
}
