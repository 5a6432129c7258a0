using EdramFer.CommandLine;
using System.ComponentModel;
using EdramFer.Analysis;
using EdramFer.Cli.Scoring;
using EdramFer.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Cli.Commands;

/// <summary>
/// <c>edram heatmap</c>: runs an ONNX model over a labelled CSV and writes, per true class, the glimpse heat maps over
/// the mean face (per step and over all steps; the paper's Fig. 3), the first-glimpse scatter with inter- and
/// intra-class variance, and the share of glimpse area on eyes / mouth / rest of the face; PNG files plus the CSV and
/// JSON numbers behind them (docs/analysis.md). Exit codes: 0 done, 1 the run failed.
/// </summary>
public sealed class HeatmapCommand(IAnsiConsole console) : Command<HeatmapCommand.Settings>
{
    public sealed class Settings : ModelRunSettings
    {
        [CommandOption("--output <DIR>"), Description("Folder for the PNG, CSV and JSON files (created)")]
        public string Output { get; init; } = "";
        [CommandOption("--label-column <NAME>"), DefaultValue("label"), Description("Column holding the true class label (one of the model's labels)")]
        public string LabelColumn { get; init; } = "label";
        [CommandOption("--per-class <N>"), DefaultValue(0), Description("Use at most N images of each class, in CSV order (0 = all)")]
        public int PerClass { get; init; }
        [CommandOption("--where <COLUMN=VALUE>"), Description("Only rows whose column equals the value, e.g. split=test for FER2013's labels.csv")]
        public string? Where { get; init; }
        [CommandOption("--regions <KIND>"), DefaultValue("fixed"),
         Description("Face regions of the region shares: fixed (rectangles of the aligned FER2013 crop) or landmarks (per image, from YuNet's five points on the crop; fixed where no face is found)")]
        public string Regions { get; init; } = "fixed";
        [CommandOption("--landmark-model <ONNX>"), Description("YuNet model for --regions landmarks (default: --yunet-model, env EDRAM_YUNET_MODEL)")]
        public string? LandmarkModel { get; init; }
        [CommandOption("--zoom-limit <L>"), Description("Zoom limit for the acceptance checks in acceptance.md (default: the model's edram.zoom_limit, else 1 = unrestricted)")]
        public double? ZoomLimit { get; init; }

        /// <summary>The YuNet model for landmark regions, or null for fixed regions.</summary>
        public string? LandmarkModelPath => Regions.Trim().ToLowerInvariant() == "landmarks"
            ? LandmarkModel ?? YuNetModel ?? Environment.GetEnvironmentVariable("EDRAM_YUNET_MODEL")
              ?? throw new ArgumentException("--regions landmarks needs a YuNet model: --landmark-model, --yunet-model or EDRAM_YUNET_MODEL")
            : null;

        /// <summary>(column, value) of --where, or null.</summary>
        public (string Column, string Value)? Filter => Where is null ? null
            : Where.IndexOf('=') is var i and > 0 ? (Where[..i].Trim(), Where[(i + 1)..].Trim())
            : throw new ArgumentException($"--where must look like COLUMN=VALUE, got '{Where}'");

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (a folder)");
            if (PerClass < 0) return ValidationResult.Error($"--per-class must be >= 0, got {PerClass}");
            if (Regions.Trim().ToLowerInvariant() is not ("fixed" or "landmarks")) return ValidationResult.Error($"--regions must be fixed or landmarks, got '{Regions}'");
            if (ZoomLimit is { } z && !(z is > 0 and <= 1)) return ValidationResult.Error($"--zoom-limit must be in (0, 1], got {z}");
            try { _ = Filter; _ = LandmarkModelPath; }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            if (IsPipeline) return ValidationResult.Error("--model must be an .onnx model: heat maps need its glimpses output, which a pipeline .zip does not expose");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CancellableRun.Execute(cancellation, signals => Run(s, console, signals));

    private static int Run(Settings s, IAnsiConsole console, SignalCancellation signals)
    {
        var (count, labels) = Survey(s, console);
        var (device, fallback) = s.ParseGpu();
        using var scorer = GlimpseScorer.Load(s.Model, device, fallback, s.Threads);
        using var landmarks = s.LandmarkModelPath is { } yunet ? new YuNetLandmarkProvider(yunet) : null;
        using var collector = new AttentionCollector(scorer, s.Preprocess(scorer.Info), FaceRegions.Fer2013, s.BatchSize, s.Threads > 0 ? s.Threads : -1, landmarks);
        collector.CheckLabels(labels); // before any image is scored
        console.MarkupLine($"Analysing {count:N0} images with {Path.GetFileName(s.Model).EscapeMarkup()} ({scorer.Info.Steps} glimpses) on {scorer.Device.Name.EscapeMarkup()}");
        if (scorer.IsRandomWeights)
            console.MarkupLine("[yellow]The model has random weights (edram.training_data): its heat maps show no learned attention.[/]");
        var selector = new RowSelector(s);
        var result = new CsvScoringRun(new CsvScoringRun.Options(s.Input, s.ImageColumn, s.ChunkSize, "analysing"))
            .Run(console, signals.Token, chunk =>
            {
                collector.Add(chunk.Select(selector.Select).OfType<LabeledImage>().ToList());
                return [];
            });
        if (result.Interrupted)
        {
            console.MarkupLine($"[yellow]Interrupted{CancellableRun.By(signals)} after {result.Rows:N0} of {result.Total:N0} rows: no files written.[/]");
            return CancellableRun.Interrupted;
        }
        var run = collector.Build();
        var files = AttentionAnalysis.Write(run, s.Output, Path.GetFileName(s.Model), scorer.IsRandomWeights, scorer.AlignCorners);
        Report(console, run.Summary);
        var zoomLimit = s.ZoomLimit ?? ModelZoomLimit(scorer.Info.Metadata);
        var checks = AttentionReport.WriteAcceptance(run.Summary, s.Output, Path.GetFileName(s.Model), zoomLimit, scorer.Info.Metadata.GetValueOrDefault(OnnxContract.Metadata.Emission));
        ReportSteps(console, run.Summary, checks, zoomLimit);
        foreach (var (path, reason) in run.Skipped.Take(5)) console.MarkupLine($"[yellow]skipped[/] {path.EscapeMarkup()}: {reason.EscapeMarkup()}");
        if (run.Skipped.Count > 5) console.MarkupLine($"[yellow]... {run.Skipped.Count - 5} more skipped (summary.json lists up to 100)[/]");
        console.MarkupLine($"Wrote {files.Count} files to {Path.GetFullPath(s.Output).EscapeMarkup()}");
        if (run.Summary.TotalImages == 0) throw new InvalidDataException("no image could be preprocessed");
        return 0;
    }

    /// <summary>The cheap first pass: checks the columns, reports rows left out, counts the images used and collects their labels.</summary>
    private static (int Count, HashSet<string> Labels) Survey(Settings s, IAnsiConsole console)
    {
        using var reader = new CsvInput(s.Input, s.ImageColumn);
        if (!reader.Header.Contains(s.LabelColumn))
            throw new InvalidDataException($"'{s.Input}' has no column '{s.LabelColumn}' (columns: {string.Join(", ", reader.Header)}); use --label-column");
        if (s.Filter is { } f && !reader.Header.Contains(f.Column))
            throw new InvalidDataException($"'{s.Input}' has no column '{f.Column}' (columns: {string.Join(", ", reader.Header)}) for --where");
        var selector = new RowSelector(s, console);
        var labels = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        while (reader.Next() is { } row)
        {
            if (selector.Select(row) is not { } image) continue;
            labels.Add(image.Label);
            count++;
        }
        if (count == 0) throw new InvalidDataException($"'{s.Input}' has no rows with an image path and a label{(s.Filter is { } g ? $" where {g.Column} = '{g.Value}'" : "")}");
        return (count, labels);
    }

    /// <summary>Which rows the analysis uses: --where, a path and a label, at most --per-class of each class in CSV order.</summary>
    private sealed class RowSelector(Settings s, IAnsiConsole? console = null)
    {
        private readonly Dictionary<string, int> _perClass = new(StringComparer.OrdinalIgnoreCase);
        private readonly (string Column, string Value)? _filter = s.Filter;
        private int _bad;

        public LabeledImage? Select(CsvInput.Row row)
        {
            if (_filter is { } w && row.Fields[w.Column] != w.Value) return null;
            var label = row.Fields[s.LabelColumn].Trim();
            if (row.PathError is not null || label.Length == 0)
            {
                if (_bad++ < 5) console?.MarkupLine($"[yellow]left out:[/] {(row.PathError ?? $"'{row.Path}': empty '{s.LabelColumn}'").EscapeMarkup()}");
                return null;
            }
            var n = _perClass.GetValueOrDefault(label);
            if (s.PerClass > 0 && n >= s.PerClass) return null;
            _perClass[label] = n + 1;
            return new LabeledImage(row.ResolvedPath, label);
        }
    }

    /// <summary>The model's <c>edram.zoom_limit</c>, or 1 (unrestricted) when absent.</summary>
    private static double ModelZoomLimit(IReadOnlyDictionary<string, string> meta) =>
        !meta.TryGetValue(OnnxContract.Metadata.ZoomLimit, out var v) ? 1
        : double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var z) && z is > 0 and <= 1 ? z
        : throw new InvalidDataException($"the model's edram.zoom_limit is '{v}', expected a number in (0, 1]; pass --zoom-limit");

    private static void ReportSteps(IAnsiConsole console, AttentionSummary s, IReadOnlyList<AcceptanceCheck> checks, double zoomLimit)
    {
        var table = new Table().AddColumns("step", "scale median", "scale min-max", "move (px)", "off-image", "centres inside");
        foreach (var t in s.StepStats)
            table.AddRow($"{t.Step}", $"{t.ScaleMedian:0.000}", $"{t.ScaleMin:0.000}-{t.ScaleMax:0.000}", double.IsNaN(t.MeanMovePx) ? "-" : $"{t.MeanMovePx:0.0}",
                $"{100 * t.OffImageMean:0.0} %", $"{100 * t.CentreInsideShare:0.0} %");
        console.Write(table);
        console.MarkupLine($"Regions: {AttentionReport.RegionSource(s).EscapeMarkup()}");
        console.MarkupLine($"Acceptance checks for zoom limit {zoomLimit:0.##} (acceptance.md):");
        foreach (var c in checks)
            console.MarkupLine($"  {(c.AppliesHere ? (c.Passed ? "[green]PASS[/]" : "[red]FAIL[/]") : "[grey](ref)[/]")} {c.Name.EscapeMarkup()}: {c.Measured.EscapeMarkup()} (required {c.Threshold.EscapeMarkup()})");
    }

    private static void Report(IAnsiConsole console, AttentionSummary s)
    {
        var table = new Table().AddColumns("class", "images", "accuracy", "first glimpse (x, y)", "intra-class var", "eyes", "mouth", "rest of face");
        var stats = s.FirstGlimpseStats.Classes;
        for (var k = 0; k < s.Labels.Count; k++)
        {
            var n = s.ImageCount[k];
            var r = s.RegionSharesAllSteps[k];
            table.AddRow(s.Labels[k].EscapeMarkup(), $"{n}", n == 0 ? "-" : $"{100.0 * s.Correct[k] / n:0.0} %",
                n == 0 ? "-" : $"({stats[k].MeanX:0.0}, {stats[k].MeanY:0.0})", n == 0 ? "-" : $"{stats[k].IntraClassVariance:0.0}",
                n == 0 ? "-" : $"{r[0]:0.000}", n == 0 ? "-" : $"{r[1]:0.000}", n == 0 ? "-" : $"{r[2]:0.000}");
        }
        console.Write(table);
        console.MarkupLine($"First glimpse: inter-class variance {s.FirstGlimpseStats.InterClassVariance:0.00} px², pooled intra-class {s.FirstGlimpseStats.PooledIntraClassVariance:0.00} px²");
    }
}
