using System.Text.Json;
using EdramFer.Contracts;

namespace EdramFer.Analysis;

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
        var log = Path.Combine(folder, RunLog.EpochsFile);
        if (File.Exists(log))
        {
            var n = 0;
            foreach (var line in File.ReadLines(log))
            {
                n++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try { epochs.Add(RunLog.ParseEpoch(line)); }
                catch (JsonException e) { throw new InvalidDataException($"'{log}' line {n}: {e.Message}", e); }
            }
        }
        RunMetrics? metrics = null;
        var m = Path.Combine(folder, RunLog.MetricsFile);
        if (File.Exists(m))
        {
            try { metrics = RunLog.ParseMetrics(File.ReadAllText(m)); }
            catch (JsonException e) { throw new InvalidDataException($"'{m}': {e.Message}", e); }
        }
        return new TrainingRun(Path.GetFullPath(folder), epochs, metrics);
    }

    /// <summary>Every sub-folder of <paramref name="runsFolder"/> with an epochs.jsonl or a metrics.json, by name; empty when the folder is absent.</summary>
    public static IReadOnlyList<TrainingRun> FindAll(string runsFolder) =>
        !Directory.Exists(runsFolder) ? []
            : Directory.GetDirectories(runsFolder).Order(StringComparer.Ordinal)
                .Where(d => File.Exists(Path.Combine(d, RunLog.EpochsFile)) || File.Exists(Path.Combine(d, RunLog.MetricsFile)))
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
