using System.Globalization;
using System.Text.Json;

namespace EdramFer.Analysis;

/// <summary>
/// What <c>edram heatmap</c> measured for one model, read back from its output folder: accuracy on the analysed
/// images (summary.json, accuracy.csv), the per-step glimpse statistics (steps.csv) and the acceptance checks
/// (acceptance.json). The zoom table of notebook 3 puts these next to each run's training metrics.
/// </summary>
/// <param name="Folder">the heatmap output folder</param>
/// <param name="Images">images analysed</param>
/// <param name="Accuracy">accuracy (0–1) on them</param>
/// <param name="MeanPerClassAccuracy">mean of accuracy.csv's per-class accuracies (0–1)</param>
/// <param name="Steps">per-step statistics</param>
/// <param name="ZoomLimit">the zoom limit the acceptance checks used, or null without acceptance.json</param>
/// <param name="Emission">the model's <c>edram.emission</c>, or null when the model has none (the affine emission)</param>
/// <param name="AcceptancePassed">whether every applicable check passed, or null without acceptance.json</param>
/// <param name="InterClassVariance">first-glimpse inter-class variance (px²), summary.json</param>
/// <param name="IntraClassVariance">first-glimpse pooled intra-class variance (px²), summary.json</param>
public sealed record RunGlimpses(string Folder, int Images, double? Accuracy, double? MeanPerClassAccuracy, IReadOnlyList<StepStatistics> Steps,
    double? ZoomLimit, string? Emission, bool? AcceptancePassed, double? InterClassVariance = null, double? IntraClassVariance = null)
{
    /// <summary>Where a run's heatmap output is looked for: <c>&lt;figures&gt;/&lt;run name&gt;</c>, then <c>&lt;run folder&gt;/heatmap</c>.</summary>
    public static string? Locate(TrainingRun run, string? figuresRoot) =>
        new[] { figuresRoot is null ? null : Path.Combine(figuresRoot, run.Name), Path.Combine(run.Folder, "heatmap") }
            .FirstOrDefault(d => d is not null && File.Exists(Path.Combine(d, "steps.csv")));

    /// <summary>Reads a heatmap output folder (steps.csv required); throws naming the file and value on malformed content.</summary>
    public static RunGlimpses Read(string folder)
    {
        var stepsPath = Path.Combine(folder, "steps.csv");
        var lines = File.ReadAllLines(stepsPath).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0 || lines[0] != string.Join(",", AttentionReport.StepColumns))
            throw new InvalidDataException($"'{stepsPath}' does not start with the header {string.Join(",", AttentionReport.StepColumns)}");
        var steps = lines.Skip(1).Select((l, i) => ParseStep(l, stepsPath, i + 2)).ToList();
        int images = 0;
        double? accuracy = null, inter = null, intra = null;
        var summaryPath = Path.Combine(folder, "summary.json");
        if (File.Exists(summaryPath))
        {
            using var summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
            images = summary.RootElement.GetProperty("images").GetInt32();
            if (summary.RootElement.GetProperty("accuracy") is { ValueKind: JsonValueKind.Number } a) accuracy = a.GetDouble();
            var first = summary.RootElement.GetProperty("first_glimpse");
            if (first.GetProperty("inter_class_variance") is { ValueKind: JsonValueKind.Number } e) inter = e.GetDouble();
            if (first.GetProperty("pooled_intra_class_variance") is { ValueKind: JsonValueKind.Number } w) intra = w.GetDouble();
        }
        double? meanPerClass = null;
        var accuracyPath = Path.Combine(folder, "accuracy.csv");
        if (File.Exists(accuracyPath))
        {
            var perClass = File.ReadAllLines(accuracyPath).Skip(1).Select(l => l.Split(',')).Where(f => f.Length > 2 && f[2].Length > 0)
                .Select(f => Parse(f[2], accuracyPath, "accuracy")).ToList();
            if (perClass.Count > 0) meanPerClass = perClass.Average();
        }
        double? zoom = null;
        string? emission = null;
        bool? passed = null;
        var acceptancePath = Path.Combine(folder, "acceptance.json");
        if (File.Exists(acceptancePath))
        {
            using var acceptance = JsonDocument.Parse(File.ReadAllText(acceptancePath));
            var root = acceptance.RootElement;
            zoom = root.GetProperty("zoom_limit").GetDouble();
            emission = root.GetProperty("emission").ValueKind == JsonValueKind.String ? root.GetProperty("emission").GetString() : null;
            passed = root.GetProperty("passed").GetBoolean();
        }
        return new RunGlimpses(Path.GetFullPath(folder), images, accuracy, meanPerClass, steps, zoom, emission, passed, inter, intra);
    }

    private static StepStatistics ParseStep(string line, string path, int number)
    {
        var f = line.Split(',');
        if (f.Length != AttentionReport.StepColumns.Count)
            throw new InvalidDataException($"'{path}' line {number}: {f.Length} fields, expected {AttentionReport.StepColumns.Count}");
        double D(int i) => f[i].Length == 0 ? double.NaN : Parse(f[i], path, AttentionReport.StepColumns[i]);
        int I(int i) => (int)D(i);
        return new StepStatistics(I(0), I(1), D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9), D(10), D(11), D(12), I(13));
    }

    private static double Parse(string value, string path, string column) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new InvalidDataException($"'{path}': column '{column}' has '{value}', expected a number");
}

/// <summary>One run of the zoom table with its glimpse geometry (numbers in %, px and fractions of the image side).</summary>
/// <param name="Source">run folder name, or the paper</param>
/// <param name="ZoomLimit">zoom limit (1 = none)</param>
/// <param name="Emission">bounded / affine / "" (unknown)</param>
/// <param name="ValidationAccuracy">the run's validation accuracy (%), metrics.json</param>
/// <param name="TestAccuracy">accuracy (%) on the heatmap images (PublicTest)</param>
/// <param name="TestMeanPerClassAccuracy">mean per-class accuracy (%) on them</param>
/// <param name="ScaleMedianLater">"lo–hi" of the per-step median scales at steps ≥ 2</param>
/// <param name="ScaleRange">"min–max" scale over all glimpses</param>
/// <param name="MeanMovePx">mean centre movement between consecutive steps (px)</param>
/// <param name="MaxOffImage">largest per-step mean off-image share (%)</param>
/// <param name="Acceptance">PASS / FAIL / "" (not measured)</param>
/// <param name="FirstGlimpseVariance">"inter / pooled intra" first-glimpse variance (px²), or ""</param>
public sealed record ZoomGlimpseRow(string Source, double ZoomLimit, string Emission, double? ValidationAccuracy, double? TestAccuracy,
    double? TestMeanPerClassAccuracy, string ScaleMedianLater, string ScaleRange, double? MeanMovePx, double? MaxOffImage, string Acceptance,
    string FirstGlimpseVariance = "");

/// <summary>The zoom table with glimpse geometry: the paper's accuracies, then every run with its heatmap numbers.</summary>
public static class ZoomGlimpseTable
{
    /// <summary>
    /// The paper's three rows (accuracy only: the paper reports no glimpse statistics), then one row per run that has
    /// metrics.json or heatmap output (<see cref="RunGlimpses.Locate"/>), by zoom limit descending.
    /// </summary>
    public static IReadOnlyList<ZoomGlimpseRow> Build(IEnumerable<TrainingRun> runs, string? figuresRoot)
    {
        var paper = ZoomExperiment.Paper.Select(p => new ZoomGlimpseRow(p.Source + ", AffectNet-7", p.ZoomLimit, "", null, p.Accuracy, p.MeanPerClassAccuracy, "", "", null, null, ""));
        var mine = runs.Select(r => (Run: r, Glimpses: RunGlimpses.Locate(r, figuresRoot) is { } d ? RunGlimpses.Read(d) : null))
            .Where(x => x.Run.Metrics is not null || x.Glimpses is not null)
            .Select(x => Row(x.Run, x.Glimpses))
            .OrderByDescending(r => r.ZoomLimit).ThenBy(r => r.Source, StringComparer.Ordinal);
        return paper.Concat(mine).ToList();
    }

    private static ZoomGlimpseRow Row(TrainingRun run, RunGlimpses? g)
    {
        var zoom = run.Metrics?.ZoomLimit ?? g?.ZoomLimit ?? 1;
        double? Pct(double? v) => v is { } x ? Math.Round(100 * x, 1) : null;
        var val = Pct(run.Metrics?.Validation?.Accuracy);
        if (g is null) return new ZoomGlimpseRow(run.Name, zoom, "", val, null, null, "", "", null, null, "");
        var later = g.Steps.Where(s => s.Step >= 2).ToList();
        string Range(double lo, double hi) => string.Create(CultureInfo.InvariantCulture, $"{lo:0.000}–{hi:0.000}");
        return new ZoomGlimpseRow(run.Name, zoom, g.Emission ?? (g.ZoomLimit is null ? "" : "affine"), val, Pct(g.Accuracy), Pct(g.MeanPerClassAccuracy),
            later.Count == 0 ? "" : Range(later.Min(s => s.ScaleMedian), later.Max(s => s.ScaleMedian)),
            g.Steps.Count == 0 ? "" : Range(g.Steps.Min(s => s.ScaleMin), g.Steps.Max(s => s.ScaleMax)),
            later.Count == 0 ? null : Math.Round(later.Average(s => s.MeanMovePx), 1),
            g.Steps.Count == 0 ? null : Pct(g.Steps.Max(s => s.OffImageMean)),
            g.AcceptancePassed is { } p ? (p ? "PASS" : "FAIL") : "",
            g.InterClassVariance is { } e && g.IntraClassVariance is { } w ? string.Create(CultureInfo.InvariantCulture, $"{e:0.#} / {w:0.#}") : "");
    }
}
