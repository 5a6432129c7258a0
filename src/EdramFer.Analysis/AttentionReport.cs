using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdramFer.Analysis;

/// <summary>
/// The glimpse-geometry and eyes-vs-mouth outputs of <c>edram heatmap</c> next to the heat maps: steps.csv (per step
/// scale percentiles, centre movement, off-image share, centres inside), eyes_mouth.csv/.md/.png, and on request
/// acceptance.md/.json (issue #11's checks for a given zoom limit).
/// </summary>
public static class AttentionReport
{
    /// <summary>Columns of steps.csv.</summary>
    public static readonly IReadOnlyList<string> StepColumns =
    [
        "step", "images", "scale_median", "scale_min", "scale_max", "scale_p05", "scale_p25", "scale_p75", "scale_p95",
        "mean_move_px", "off_image_mean", "off_image_max", "centres_inside_share", "centres_outside",
    ];

    /// <summary>How the region shares were measured, in words.</summary>
    public static string RegionSource(AttentionSummary s)
    {
        var fixedRects = "fixed rectangles of the aligned crop (FaceRegions.Fer2013 scaled to the crop)";
        if (s.ImagesWithOwnRegions == 0) return fixedRects;
        return s.ImagesWithOwnRegions == s.TotalImages
            ? $"per-image regions from YuNet landmarks on all {s.TotalImages} images"
            : $"per-image regions from YuNet landmarks on {s.ImagesWithOwnRegions} of {s.TotalImages} images; {fixedRects} on the other {s.TotalImages - s.ImagesWithOwnRegions} (no face found)";
    }

    /// <summary>The per-step statistics as JSON-ready objects (NaN as null).</summary>
    public static IEnumerable<object> StepsJson(IReadOnlyList<StepStatistics> steps) => steps.Select(t => new
    {
        step = t.Step, images = t.Images,
        scale = new { median = N(t.ScaleMedian), min = N(t.ScaleMin), max = N(t.ScaleMax), p05 = N(t.ScaleP05), p25 = N(t.ScaleP25), p75 = N(t.ScaleP75), p95 = N(t.ScaleP95) },
        mean_move_px = N(t.MeanMovePx), off_image_mean = N(t.OffImageMean), off_image_max = N(t.OffImageMax),
        centres_inside_share = N(t.CentreInsideShare), centres_outside = t.CentresOutside,
    });

    /// <summary>Writes steps.csv and eyes_mouth.csv/.md/.png into <paramref name="outputDir"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(AttentionSummary s, string outputDir, string title)
    {
        ArgumentNullException.ThrowIfNull(s);
        Directory.CreateDirectory(outputDir);
        var files = new List<string>();
        string P(string name) { var p = Path.Combine(outputDir, name); files.Add(p); return p; }
        var csv = new StringBuilder(string.Join(",", StepColumns)).Append('\n');
        foreach (var t in s.StepStats)
            csv.AppendJoin(",", [I(t.Step), I(t.Images), D(t.ScaleMedian), D(t.ScaleMin), D(t.ScaleMax), D(t.ScaleP05), D(t.ScaleP25), D(t.ScaleP75),
                D(t.ScaleP95), D(t.MeanMovePx), D(t.OffImageMean), D(t.OffImageMax), D(t.CentreInsideShare), I(t.CentresOutside)]).Append('\n');
        File.WriteAllText(P("steps.csv"), csv.ToString());
        var rows = EyesMouthComparison.Rows(s);
        if (rows.Count == 0) return files;
        File.WriteAllText(P("eyes_mouth.csv"), EyesMouthComparison.Csv(rows));
        File.WriteAllText(P("eyes_mouth.md"), EyesMouthComparison.Markdown(rows, RegionSource(s)));
        using (var figure = EyesMouthComparison.Figure(rows, $"Eyes vs mouth per class, all steps (class: preference) - {title}"))
            Charts.Save(figure, P("eyes_mouth.png"));
        return files;
    }

    /// <summary>
    /// Writes acceptance.md and acceptance.json (the checks of <see cref="AttentionAcceptance"/> for
    /// <paramref name="zoomLimit"/>); returns the checks.
    /// </summary>
    public static IReadOnlyList<AcceptanceCheck> WriteAcceptance(AttentionSummary s, string outputDir, string modelName, double zoomLimit, string? emission)
    {
        var checks = AttentionAcceptance.Evaluate(s.StepStats, zoomLimit);
        var md = AttentionAcceptance.Markdown(modelName, zoomLimit, s.TotalImages, checks);
        if (emission is not null) md += $"\nEmission (edram.emission): {emission}.\n";
        var first = s.FirstGlimpseStats;
        md += string.Create(CultureInfo.InvariantCulture,
            $"\nFirst glimpse: inter-class variance {first.InterClassVariance:0.##} px², pooled intra-class variance {first.PooledIntraClassVariance:0.##} px².\n");
        File.WriteAllText(Path.Combine(outputDir, "acceptance.md"), md);
        var json = new
        {
            model = modelName, zoom_limit = zoomLimit, emission, images = s.TotalImages,
            first_glimpse_inter_class_variance = N(s.FirstGlimpseStats.InterClassVariance),
            first_glimpse_pooled_intra_class_variance = N(s.FirstGlimpseStats.PooledIntraClassVariance),
            passed = checks.Where(c => c.AppliesHere).All(c => c.Passed),
            checks = checks.Select(c => new { name = c.Name, measured = c.Measured, required = c.Threshold, passed = c.Passed, applies = c.AppliesHere }),
        };
        File.WriteAllText(Path.Combine(outputDir, "acceptance.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        return checks;
    }

    private static double? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    private static string D(double v) => double.IsFinite(v) ? v.ToString("0.######", CultureInfo.InvariantCulture) : "";
}
