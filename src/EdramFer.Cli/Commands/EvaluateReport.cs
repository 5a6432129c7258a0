using System.Globalization;
using EdramFer.Analysis;
using EdramFer.Contracts;
using Microsoft.ML.Data;
using Spectre.Console;

namespace EdramFer.Cli.Commands;

/// <summary><c>edram evaluate</c>'s report: the metrics as JSON values, the console tables and the reliability diagram.</summary>
internal static class EvaluateReport
{
    /// <summary>The report, keys as documented; per-class accuracy is null for a class with no rows.</summary>
    public static Dictionary<string, object?> Values(IReadOnlyList<string> labels, MulticlassClassificationMetrics m, IReadOnlyList<EvaluateCommand.Scored> scored,
        int errors, int noFace, bool valence, bool arousal, IReadOnlyList<ReliabilityBin> bins)
    {
        var counts = m.ConfusionMatrix.Counts;
        var perClass = new Dictionary<string, double?>();
        for (var i = 0; i < labels.Count; i++)
            perClass[labels[i]] = counts[i].Sum() > 0 ? m.ConfusionMatrix.PerClassRecall[i] : null;
        var report = new Dictionary<string, object?>
        {
            // The names of the trainer's metrics.json (ML.NET calls them micro and macro accuracy).
            ["accuracy"] = m.MicroAccuracy,
            ["mean_per_class_accuracy"] = m.MacroAccuracy,
            ["log_loss"] = m.LogLoss,
            ["per_class_accuracy"] = perClass,
            ["labels"] = labels,
            ["confusion_matrix"] = counts.Select(row => row.Select(c => (long)Math.Round(c)).ToArray()).ToArray(),
            ["count"] = scored.Count,
            ["errors"] = errors,
            ["no_face"] = noFace,
            // A peer that scores every image is compared on every row: one without a score counts as wrong here.
            ["accuracy_all_rows"] = scored.Count(r => r.Predicted >= 0 && string.Equals(labels[r.Predicted], r.Label, StringComparison.OrdinalIgnoreCase))
                                    / (double)(scored.Count + errors + noFace),
        };
        foreach (var (name, on, pairs) in new[]
                 {
                     ("valence", valence, scored.Select(r => (r.Valence, r.TrueValence))),
                     ("arousal", arousal, scored.Select(r => (r.Arousal, r.TrueArousal))),
                 })
        {
            if (on && Agreement(pairs) is { } a)
            {
                report[name + "_rmse"] = a.Rmse;
                report[name + "_ccc"] = double.IsFinite(a.Ccc) ? a.Ccc : null; // JSON has no NaN: constant values on both sides
            }
        }
        report["expected_calibration_error"] = Calibration.ExpectedCalibrationError(bins);
        report["reliability"] = bins.Select(b => new
        {
            lower = b.Lower, upper = b.Upper, count = b.Count,
            confidence = double.IsNaN(b.Confidence) ? (double?)null : b.Confidence, accuracy = double.IsNaN(b.Accuracy) ? (double?)null : b.Accuracy,
        }).ToList();
        return report;
    }

    /// <summary>Top probability against correctness, in 15 bins (the truth matched to the model's labels, any case).</summary>
    public static IReadOnlyList<ReliabilityBin> Reliability(IReadOnlyList<string> labels, IReadOnlyList<EvaluateCommand.Scored> scored) =>
        Calibration.Bins(scored.Select(r => ((double)r.Probabilities[r.Predicted],
            string.Equals(labels[r.Predicted], r.Label, StringComparison.OrdinalIgnoreCase))).ToList());

    /// <summary>The reliability diagram: accuracy per bin at its mean confidence, against the diagonal of perfect calibration.</summary>
    public static void SaveReliabilityPlot(string path, IReadOnlyList<ReliabilityBin> all, string model)
    {
        var bins = all.Where(b => b.Count > 0).ToList();
        var ece = Calibration.ExpectedCalibrationError(all);
        using var chart = Charts.Lines($"Reliability, {model}: ECE {ece:0.000} (15 bins)", "confidence (top probability)", "accuracy",
            [new Series("model", bins.Select(b => b.Confidence).ToList(), bins.Select(b => b.Accuracy).ToList()),
             new Series("perfect calibration", [0.0, 1.0], [0.0, 1.0])], 0, 1);
        Charts.Save(chart, path);
    }

    /// <summary>RMSE and Lin's concordance (the trainer's definitions) over the rows with a true value; null when there is none.</summary>
    private static (double Rmse, double Ccc)? Agreement(IEnumerable<(float Predicted, float? Truth)> pairs)
    {
        var xs = pairs.Where(p => p.Truth.HasValue && !float.IsNaN(p.Predicted)).Select(p => ((double)p.Truth!.Value, (double)p.Predicted)).ToArray();
        return xs.Length == 0 ? null : (ClassificationMetrics.Rmse(xs), ClassificationMetrics.Ccc(xs));
    }

    public static void Print(IAnsiConsole console, IReadOnlyList<string> labels, MulticlassClassificationMetrics m, Dictionary<string, object?> report,
        int count, int errors, int noFace, TimeSpan elapsed)
    {
        var inv = CultureInfo.InvariantCulture;
        var summary = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        summary.AddRow("rows evaluated", count.ToString("N0", inv));
        summary.AddRow(errors > 0 ? "[yellow]rows failed (excluded)[/]" : "rows failed (excluded)", errors.ToString("N0", inv));
        summary.AddRow(noFace > 0 ? "[yellow]rows without a face (excluded)[/]" : "rows without a face (excluded)", noFace.ToString("N0", inv));
        summary.AddRow("accuracy", m.MicroAccuracy.ToString("P2", inv));
        summary.AddRow("accuracy over every row (unscored = wrong)", ((double)report["accuracy_all_rows"]!).ToString("P2", inv));
        summary.AddRow("mean per-class accuracy", m.MacroAccuracy.ToString("P2", inv));
        summary.AddRow("log-loss", m.LogLoss.ToString("F4", inv));
        summary.AddRow("expected calibration error (15 bins)", ((double)report["expected_calibration_error"]!).ToString("F4", inv));
        foreach (var key in new[] { "valence_rmse", "valence_ccc", "arousal_rmse", "arousal_ccc" })
            if (report.TryGetValue(key, out var v) && v is double d)
                summary.AddRow(key.Replace('_', ' '), d.ToString("F4", inv));
        console.Write(summary);

        // Rows: truth; columns: prediction; then how many rows of that class and its accuracy (recall).
        var matrix = new Table().Title("confusion matrix (rows: true class, columns: predicted)").AddColumn("true \\ predicted");
        foreach (var l in labels) matrix.AddColumn(new TableColumn(l.EscapeMarkup()).RightAligned());
        matrix.AddColumn(new TableColumn("rows").RightAligned()).AddColumn(new TableColumn("accuracy").RightAligned());
        var counts = m.ConfusionMatrix.Counts;
        for (var i = 0; i < labels.Count; i++)
        {
            var total = counts[i].Sum();
            var cells = new List<string> { labels[i].EscapeMarkup() };
            cells.AddRange(counts[i].Select((c, j) => i == j ? $"[green]{c:0}[/]" : c.ToString("0", inv)));
            cells.Add(total.ToString("0", inv));
            cells.Add(total > 0 ? m.ConfusionMatrix.PerClassRecall[i].ToString("P1", inv) : "-");
            matrix.AddRow(cells.ToArray());
        }
        console.Write(matrix);
        console.MarkupLine($"Evaluated {count:N0} rows in {elapsed.TotalSeconds:F1} s{(errors > 0 ? $"; [yellow]{errors:N0} failed rows excluded[/]" : "")}");
    }
}
