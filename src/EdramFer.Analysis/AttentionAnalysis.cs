using EdramFer.ML;
using System.Globalization;
using System.Text.Json;
using CsvHelper;
using EdramFer.Vision;

namespace EdramFer.Analysis;

/// <summary>An image path with its true label (as written in the input CSV).</summary>
/// <param name="Path">image file</param>
/// <param name="Label">true class label; matched to the model's labels ignoring case</param>
public sealed record LabeledImage(string Path, string Label);

/// <summary>The result of <see cref="AttentionAnalysis.Run"/>: the summary plus every scored image.</summary>
/// <param name="Summary">maps and statistics</param>
/// <param name="Traces">scored images with their true class index, in input order</param>
/// <param name="Skipped">images that could not be used, with the reason</param>
public sealed record AttentionRun(AttentionSummary Summary, IReadOnlyList<(GlimpseTrace Trace, int Label)> Traces, IReadOnlyList<(string Path, string Reason)> Skipped);

/// <summary>
/// Preprocesses labelled images the model's way, scores them, and accumulates the attention statistics; then writes
/// the PNG figures and the CSV/JSON numbers behind them (<see cref="Write"/>). What <c>edram heatmap</c> runs.
/// </summary>
public static class AttentionAnalysis
{
    /// <summary>
    /// Runs the model over <paramref name="images"/> in chunks (constant memory apart from the traces kept for
    /// glimpses.csv). Labels not among the model's throw, naming them; images that fail preprocessing are skipped.
    /// With <paramref name="landmarks"/>, each image's regions come from its landmarks (<see cref="LandmarkRegions"/>);
    /// images without a usable face keep <paramref name="regions"/>.
    /// </summary>
    public static AttentionRun Run(GlimpseScorer scorer, PreprocessOptions preprocess, IReadOnlyList<LabeledImage> images, FaceRegions? regions = null,
        int batchSize = 32, int threads = -1, IProgress<int>? progress = null, IFaceLandmarkProvider? landmarks = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var collector = new AttentionCollector(scorer, preprocess, regions, batchSize, threads, landmarks);
        collector.CheckLabels(images.Select(i => i.Label));
        var chunk = Math.Max(1, batchSize) * 8;
        for (var start = 0; start < images.Count; start += chunk)
        {
            collector.Add(images.Skip(start).Take(chunk).ToList());
            progress?.Report(Math.Min(images.Count, start + chunk));
        }
        return collector.Build();
    }

    /// <summary>
    /// Writes the figures and tables into <paramref name="outputDir"/> and returns the files written:
    /// heatmaps.png, heatmap_&lt;class&gt;.png, first_glimpse.png, regions.png; heatmaps.csv, regions.csv,
    /// first_glimpse.csv, first_glimpse_stats.csv, accuracy.csv, glimpses.csv, summary.json; and
    /// <see cref="AttentionReport.Write"/>'s steps.csv, eyes_mouth.csv/.md/.png.
    /// <paramref name="modelName"/> goes into every title; a random-weights model is marked in it.
    /// </summary>
    public static IReadOnlyList<string> Write(AttentionRun run, string outputDir, string modelName, bool randomWeights, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        Directory.CreateDirectory(outputDir);
        var s = run.Summary;
        var files = new List<string>();
        var tag = randomWeights ? $"{modelName} [RANDOM WEIGHTS]" : modelName;
        string F(string name) { var p = Path.Combine(outputDir, name); files.Add(p); return p; }
        WriteFigures(s, tag, F);
        WriteTables(run, F, alignCorners);
        WriteSummary(run, F("summary.json"), modelName, randomWeights);
        files.AddRange(AttentionReport.Write(s, outputDir, tag));
        return files;
    }

    private static void WriteFigures(AttentionSummary s, string tag, Func<string, string> F)
    {
        using (var grid = AttentionRenderer.HeatmapGrid(s, $"Glimpse heat maps over the class mean faces - {tag}")) Charts.Save(grid, F("heatmaps.png"));
        for (var k = 0; k < s.Labels.Count; k++)
            using (var one = AttentionRenderer.ClassHeatmap(s, k, $"{s.Labels[k]} (n = {s.ImageCount[k]}), all steps - {tag}"))
                Charts.Save(one, F($"heatmap_{Safe(s.Labels[k])}.png"));
        using (var scatter = AttentionRenderer.FirstGlimpseScatter(s, $"First glimpse - {tag}")) Charts.Save(scatter, F("first_glimpse.png"));
        using (var bars = AttentionRenderer.RegionBars(s, $"Share of glimpse area per region (all steps) - {tag}")) Charts.Save(bars, F("regions.png"));
    }

    /// <summary>heatmaps, regions, first glimpses and their statistics, accuracy per step, every glimpse (CSV).</summary>
    private static void WriteTables(AttentionRun run, Func<string, string> F, bool alignCorners)
    {
        var s = run.Summary;
        WriteCsv(F("heatmaps.csv"), ["class", "step", "images", "y", .. Enumerable.Range(0, s.Size).Select(x => $"x{x}")], rows =>
        {
            for (var k = 0; k < s.Labels.Count; k++)
                for (var t = 0; t <= s.Steps; t++)
                {
                    var map = t < s.Steps ? s.Heat[k][t] : s.HeatAllSteps[k];
                    for (var y = 0; y < s.Size; y++)
                        rows([s.Labels[k], t < s.Steps ? Int(t + 1) : "all", Int(s.ImageCount[k]), Int(y),
                            .. Enumerable.Range(0, s.Size).Select(x => map[y * s.Size + x].ToString("0.####", CultureInfo.InvariantCulture))]);
                }
        });
        WriteCsv(F("regions.csv"), ["class", "step", "images", .. FaceRegions.Names], rows =>
        {
            for (var k = 0; k < s.Labels.Count; k++)
            {
                for (var t = 0; t < s.Steps; t++) rows([s.Labels[k], Int(t + 1), Int(s.ImageCount[k]), .. s.RegionShares[k][t].Select(Num)]);
                rows([s.Labels[k], "all", Int(s.ImageCount[k]), .. s.RegionSharesAllSteps[k].Select(Num)]);
            }
        });
        WriteCsv(F("first_glimpse.csv"), ["path", "label", "predicted", "x", "y", "width", "height"], rows =>
        {
            foreach (var g in s.FirstGlimpses)
                rows([g.Source, s.Labels[g.Label], g.Predicted >= 0 ? s.Labels[g.Predicted] : "", Num(g.X), Num(g.Y), Num(g.Width), Num(g.Height)]);
        });
        var stats = s.FirstGlimpseStats;
        WriteCsv(F("first_glimpse_stats.csv"), ["class", "images", "mean_x", "mean_y", "intra_class_variance"], rows =>
        {
            foreach (var c in stats.Classes) rows([c.Label, Int(c.Images), Num(c.MeanX), Num(c.MeanY), Num(c.IntraClassVariance)]);
        });
        WriteCsv(F("accuracy.csv"), ["class", "images", "accuracy", .. Enumerable.Range(1, s.Steps).Select(t => $"accuracy_step{t}")], rows =>
        {
            for (var k = 0; k < s.Labels.Count; k++)
            {
                var n = s.ImageCount[k];
                rows([s.Labels[k], Int(n), n == 0 ? "" : Num((double)s.Correct[k] / n), .. s.StepCorrect[k].Select(c => n == 0 ? "" : Num((double)c / n))]);
            }
        });
        WriteCsv(F("glimpses.csv"), ["path", "label", "predicted", "step", "theta00", "theta01", "theta02", "theta10", "theta11", "theta12",
            "box_x", "box_y", "box_width", "box_height", "step_predicted", "step_probability"], rows =>
        {
            foreach (var (trace, label) in run.Traces)
                for (var t = 0; t < trace.Steps; t++)
                {
                    var theta = trace.Theta(t);
                    var box = GlimpseGeometry.ToPixelBox(theta, s.Size, alignCorners);
                    var p = trace.PredictedAt(t);
                    rows([trace.Source, s.Labels[label], trace.Predicted >= 0 ? s.Labels[trace.Predicted] : "", Int(t + 1),
                        .. theta.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)),
                        Num(box.X), Num(box.Y), Num(box.Width), Num(box.Height), p >= 0 ? s.Labels[p] : "", p >= 0 ? Num(trace.StepProbabilitiesOf(t)[p]) : ""]);
                }
        });
    }

    private static void WriteSummary(AttentionRun run, string path, string modelName, bool randomWeights)
    {
        var s = run.Summary;
        var stats = s.FirstGlimpseStats;
        var r = s.Regions;
        var summary = new
        {
            model = modelName,
            random_weights = randomWeights,
            images = s.TotalImages,
            skipped = run.Skipped.Count,
            steps = s.Steps,
            size = s.Size,
            accuracy = s.TotalImages == 0 ? (double?)null : (double)s.Correct.Sum() / s.TotalImages,
            first_glimpse = new
            {
                inter_class_variance = Finite(stats.InterClassVariance),
                pooled_intra_class_variance = Finite(stats.PooledIntraClassVariance),
                classes = stats.Classes.Select(c => new { label = c.Label, images = c.Images, mean_x = Finite(c.MeanX), mean_y = Finite(c.MeanY), intra_class_variance = Finite(c.IntraClassVariance) }),
            },
            regions = new
            {
                definition = AttentionReport.RegionSource(s),
                images_with_landmark_regions = s.ImagesWithOwnRegions,
                eyes = Rect(r.Eyes), mouth = Rect(r.Mouth), face = Rect(r.Face),
                shares_all_steps = s.Labels.Select((l, k) => new { label = l, shares = FaceRegions.Names.Zip(s.RegionSharesAllSteps[k]).ToDictionary(p => p.First, p => Finite(p.Second)) }),
            },
            glimpse_steps = AttentionReport.StepsJson(s.StepStats),
            eyes_mouth = EyesMouthComparison.Rows(s).Select(e => new { label = e.Label, eyes_share = Finite(e.EyesShare), mouth_share = Finite(e.MouthShare),
                eyes_density = Finite(e.EyesDensity), mouth_density = Finite(e.MouthDensity), preference = Finite(e.Preference), prefers = e.Prefers }),
            skipped_images = run.Skipped.Take(100).Select(x => new { path = x.Path, reason = x.Reason }),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A label as a file-name part: letters, digits, '-' and '_' kept, the rest '_'.</summary>
    public static string Safe(string label) => new(label.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());

    private static double[] Rect(PixelRect r) => [r.X, r.Y, r.Width, r.Height];
    private static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Num(double v) => double.IsFinite(v) ? v.ToString("0.######", CultureInfo.InvariantCulture) : "";

    private static void WriteCsv(string path, IReadOnlyList<string> header, Action<Action<IReadOnlyList<string>>> body)
    {
        using var text = new StreamWriter(path, false, new System.Text.UTF8Encoding(false));
        using var csv = CsvWriter.Create(text, null);
        foreach (var h in header) csv.WriteField(h);
        csv.EndRecord();
        body(fields =>
        {
            foreach (var f in fields) csv.WriteField(f);
            csv.EndRecord();
        });
    }
}
