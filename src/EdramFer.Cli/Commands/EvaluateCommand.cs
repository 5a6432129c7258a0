using EdramFer.CommandLine;
using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using EdramFer.Cli.Scoring;
using EdramFer.Contracts;
using EdramFer.ML;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram evaluate</c>: scores a labelled CSV through the same scorer as <c>edram score</c> (an .onnx model or a
/// pipeline zip) and reports ML.NET's multiclass metrics (<c>MulticlassClassification.Evaluate</c>): micro/macro
/// accuracy, log-loss, the confusion matrix and per-class accuracy; with <c>valence</c>/<c>arousal</c> columns and a
/// model whose valence/arousal head was trained, also their RMSE and Lin's concordance (CCC). Rows that fail
/// preprocessing are counted as errors and rows without a detected face (status no_face) as such, both left out of every
/// metric. Exit codes: 0 done, 1 the run failed (unknown
/// labels, no usable row, bad model or CSV), 2 interrupted (no report written).
/// </summary>
public sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : ModelRunSettings
    {
        [CommandOption("--label-column <NAME>"), DefaultValue("label"), Description("Column holding the true class names (the model's labels, any case)")]
        public string LabelColumn { get; init; } = "label";
        [CommandOption("--report <JSON>"), Description("Write the metrics to this JSON file")]
        public string? Report { get; init; }
        [CommandOption("--reliability-plot <PNG>"), Description("Draw the reliability diagram (accuracy against confidence, 15 bins) to this PNG")]
        public string? ReliabilityPlot { get; init; }
        [CommandOption("--label-map <MAP>"), Description("Rename the CSV's labels to the model's before comparing, e.g. anger=angry,happiness=happy; an empty target leaves those rows out (contempt=)")]
        public string? LabelMap { get; init; }

        private IReadOnlyDictionary<string, string>? _labelRenames;

        /// <summary>The parsed --label-map (any case; parsed once: Truth runs for every row); an empty value leaves the label's rows out.</summary>
        public IReadOnlyDictionary<string, string> LabelRenames => _labelRenames ??= ParseLabelMap(LabelMap);

        /// <summary>The model label a CSV label stands for, or null when --label-map leaves its rows out.</summary>
        public string? Truth(string label) => !LabelRenames.TryGetValue(label, out var to) ? label : to.Length > 0 ? to : null;

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(LabelColumn)) return ValidationResult.Error("--label-column must name a column");
            if (LabelColumn == ImageColumn) return ValidationResult.Error($"--label-column and --image-column are both '{LabelColumn}'");
            try { _ = LabelRenames; }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return base.Validate();
        }
    }

    private static IReadOnlyDictionary<string, string> ParseLabelMap(string? map)
    {
        var renames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(map)) return renames;
        foreach (var pair in map.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--label-map: '{pair}' is not FROM=TO (e.g. anger=angry, or contempt= to leave those rows out)");
            if (!renames.TryAdd(pair[..eq].Trim(), pair[(eq + 1)..].Trim()))
                throw new ArgumentException($"--label-map names '{pair[..eq].Trim()}' twice");
        }
        return renames;
    }

    private const string ValenceColumn = "valence";
    private const string ArousalColumn = "arousal";

    /// <summary>A row that was scored: true class index and the model's outputs.</summary>
    internal sealed record Scored(string Label, float[] Probabilities, int Predicted, float Valence, float Arousal, float? TrueValence, float? TrueArousal);

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CancellableRun.Execute(cancellation, signals => Run(s, console, signals));

    private static int Run(Settings s, IAnsiConsole console, SignalCancellation signals)
    {
        using var guard = s.Report is { } report ? OutputGuard.Acquire(s.Input, report, "--report") : null;
        using var scorer = s.OpenScorer();
        var labels = scorer.Labels;
        var ml = new MLContext(seed: 0);
        // Redirected output (logs, CI) gets Spectre's 80 columns, which wraps the confusion matrix: widen it to fit.
        if (!console.Profile.Out.IsTerminal) console.Profile.Width = Math.Max(console.Profile.Width, 24 + 11 * (labels.Count + 2));
        var (rows, leftOut, hasValence, hasArousal) = CheckTruth(s, ml, labels);
        var scoreVa = (hasValence || hasArousal) && scorer.HasValenceArousal;
        if ((hasValence || hasArousal) && !scorer.HasValenceArousal)
            console.MarkupLine("[yellow]The CSV has valence/arousal columns but the model's valence/arousal head was not trained: no valence/arousal metrics.[/]");

        var scored = new List<Scored>((int)Math.Min(rows, int.MaxValue));
        var errors = new List<string>();
        var noFace = 0;
        console.MarkupLine($"Evaluating {rows - leftOut:N0} rows of {Path.GetFileName(s.Input).EscapeMarkup()} on {scorer.Device.EscapeMarkup()}"
                           + (leftOut > 0 ? $" ({leftOut:N0} left out by --label-map)" : ""));
        var run = new CsvScoringRun(new CsvScoringRun.Options(s.Input, s.ImageColumn, s.ChunkSize, "evaluating"));
        var result = run.Run(console, signals.Token, all =>
        {
            var chunk = all.Where(r => s.Truth(r.Fields[s.LabelColumn]) is not null).ToList();
            var results = scorer.Score(chunk.Select(r => r.ResolvedPath).ToList());
            for (var k = 0; k < chunk.Count; k++)
            {
                var (row, r) = (chunk[k], results[k]);
                var error = row.PathError ?? r.Error;
                if (row.PathError is null && r.Status == RowStatus.NoFace)
                {
                    noFace++; // an image without a face is not a failure, and has no prediction to score
                    continue;
                }
                if (error.Length > 0)
                {
                    errors.Add($"{row.Path}: {error}");
                    continue;
                }
                scored.Add(new Scored(s.Truth(row.Fields[s.LabelColumn])!, r.Probabilities, EdramScorer.ArgMax(r.Probabilities), r.Valence, r.Arousal,
                    hasValence ? Affect(row.Fields[ValenceColumn], ValenceColumn, row.Line) : null,
                    hasArousal ? Affect(row.Fields[ArousalColumn], ArousalColumn, row.Line) : null));
            }
            return [];
        });
        if (result.Interrupted)
        {
            console.MarkupLine($"[yellow]Interrupted{CancellableRun.By(signals)} after {result.Rows:N0} of {result.Total:N0} rows: no metrics computed, no report written.[/]");
            return CancellableRun.Interrupted;
        }
        ReportErrors(console, errors, rows - leftOut);
        if (noFace > 0) console.MarkupLine($"[yellow]{noFace:N0} of {rows - leftOut:N0} rows have no detected face (status no_face) and are excluded from every metric.[/]");
        if (scored.Count == 0) throw new InvalidDataException($"none of the {rows - leftOut:N0} rows could be scored: no metrics");
        var metrics = Evaluate(ml, labels, scored);
        var bins = EvaluateReport.Reliability(labels, scored);
        var values = EvaluateReport.Values(labels, metrics, scored, errors.Count, noFace, scoreVa && hasValence, scoreVa && hasArousal, bins);
        values["left_out_by_label_map"] = leftOut;
        EvaluateReport.Print(console, labels, metrics, values, scored.Count, errors.Count, noFace, result.Elapsed);
        if (s.ReliabilityPlot is { } plot) EvaluateReport.SaveReliabilityPlot(plot, bins, Path.GetFileName(s.Model));
        if (s.Report is { } path) WriteReport(console, path, values);
        return 0;
    }

    /// <summary>
    /// The cheap first pass: every label known to the model and every valence/arousal a number, so a wrong CSV fails
    /// before any image is scored. Returns the row count, the rows --label-map leaves out and which affect columns exist.
    /// </summary>
    private static (long Rows, long LeftOut, bool HasValence, bool HasArousal) CheckTruth(Settings s, MLContext ml, IReadOnlyList<string> labels)
    {
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        long rows = 0, leftOut = 0;
        bool hasValence, hasArousal;
        using (var reader = new CsvInput(s.Input, s.ImageColumn))
        {
            if (!reader.Header.Contains(s.LabelColumn))
                throw new InvalidDataException($"'{s.Input}' has no column '{s.LabelColumn}' (columns: {string.Join(", ", reader.Header)}); use --label-column");
            hasValence = reader.Header.Contains(ValenceColumn);
            hasArousal = reader.Header.Contains(ArousalColumn);
            for (; reader.Next() is { } r; rows++)
            {
                if (s.Truth(r.Fields[s.LabelColumn]) is { } truth) distinct.Add(truth);
                else leftOut++;
                if (hasValence) Affect(r.Fields[ValenceColumn], ValenceColumn, r.Line);
                if (hasArousal) Affect(r.Fields[ArousalColumn], ArousalColumn, r.Line);
            }
        }
        if (rows == 0) throw new InvalidDataException($"'{s.Input}' has a header but no rows");
        if (leftOut == rows) throw new InvalidDataException($"--label-map leaves out all {rows:N0} rows of '{s.Input}'");
        // MapLabelToKey's fit is the check: case-insensitive, and its error names every unknown label and the column.
        var labelDefinition = SchemaDefinition.Create(typeof(LabelRow));
        labelDefinition[nameof(LabelRow.LabelText)].ColumnName = s.LabelColumn;
        try
        {
            ml.Transforms.Conversion.MapLabelToKey("__Label", labels, s.LabelColumn).Fit(ml.Data.LoadFromEnumerable(
                distinct.Select(l => new LabelRow { LabelText = l }).ToList(), labelDefinition));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{s.Input}': {e.Message}", e);
        }
        return (rows, leftOut, hasValence, hasArousal);
    }

    private static void ReportErrors(IAnsiConsole console, List<string> errors, long rows)
    {
        if (errors.Count == 0) return;
        console.MarkupLine($"[yellow]{errors.Count:N0} of {rows:N0} rows failed preprocessing and are excluded from every metric:[/]");
        foreach (var e in errors.Take(5)) console.MarkupLine($"  [yellow]{e.EscapeMarkup()}[/]");
        if (errors.Count > 5) console.MarkupLine($"  [yellow]... and {errors.Count - 5:N0} more[/]");
    }

    /// <summary>Writes the report through a temporary file, so a reader never sees half of it.</summary>
    private static void WriteReport(IAnsiConsole console, string path, Dictionary<string, object?> values)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(values, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temp, full, overwrite: true);
        console.MarkupLine($"Wrote {full.EscapeMarkup()}");
    }

    /// <summary>A valence or arousal value: null when empty or outside [-1, 1] (AffectNet marks "none" as -2).</summary>
    private static float? Affect(string text, string column, long line)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new InvalidDataException($"line {line}: '{column}' is '{text}', expected a number in [-1, 1] or empty");
        return v is >= -1f and <= 1f ? v : null;
    }

    /// <summary>ML.NET's metrics: labels mapped to keys in model order by MapLabelToKey, scores as a known-size vector.</summary>
    private static MulticlassClassificationMetrics Evaluate(MLContext ml, IReadOnlyList<string> labels, IReadOnlyList<Scored> scored)
    {
        var classes = labels.Count;
        var definition = SchemaDefinition.Create(typeof(ScoredRow));
        definition[nameof(ScoredRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes);
        definition[nameof(ScoredRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        var data = ml.Data.LoadFromEnumerable(scored.Select(r => new ScoredRow
        {
            LabelText = r.Label, Score = r.Probabilities, PredictedLabel = (uint)(r.Predicted + 1), // key 0 = missing
        }).ToList(), definition);
        var keyed = ml.Transforms.Conversion.MapLabelToKey("Label", labels, nameof(ScoredRow.LabelText)).Fit(data).Transform(data);
        return ml.MulticlassClassification.Evaluate(keyed, "Label", nameof(ScoredRow.Score), nameof(ScoredRow.PredictedLabel));
    }

    private sealed class LabelRow
    {
        public string LabelText { get; set; } = "";
    }

    private sealed class ScoredRow
    {
        public string LabelText { get; set; } = "";
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }
}
