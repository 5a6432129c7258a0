using System.Globalization;
using System.Text;
using OpenCvSharp;

namespace EdramFer.Analysis;

/// <summary>One class's eyes-vs-mouth preference of the glimpses (all steps).</summary>
/// <param name="Label">class</param>
/// <param name="Images">images of the class</param>
/// <param name="EyesShare">mean share of glimpse area on the eyes band</param>
/// <param name="MouthShare">mean share on the mouth box</param>
/// <param name="EyesArea">mean share of the crop the eyes band covers (what a glimpse over the whole crop would give)</param>
/// <param name="MouthArea">mean share of the crop the mouth box covers</param>
public sealed record EyesMouthRow(string Label, int Images, double EyesShare, double MouthShare, double EyesArea, double MouthArea)
{
    /// <summary>Eyes share relative to the eyes band's area: 1 = as much as a whole-crop glimpse, above 1 = concentrated there.</summary>
    public double EyesDensity => EyesShare / EyesArea;
    /// <summary>Mouth share relative to the mouth box's area.</summary>
    public double MouthDensity => MouthShare / MouthArea;
    /// <summary>(eyes − mouth) / (eyes + mouth) of the densities: +1 only eyes, −1 only mouth, 0 both alike (area-corrected).</summary>
    public double Preference => (EyesDensity - MouthDensity) / (EyesDensity + MouthDensity);
    /// <summary>"eyes", "mouth" or "neither" (|preference| &lt; <see cref="EyesMouthComparison.Indifference"/>).</summary>
    public string Prefers => !double.IsFinite(Preference) ? "" : Math.Abs(Preference) < EyesMouthComparison.Indifference ? "neither" : Preference > 0 ? "eyes" : "mouth";
}

/// <summary>
/// Per class, whether the glimpses prefer the eyes or the mouth, corrected for the regions' sizes, next to the human
/// pattern the seed paper cites. The paper says only this about people: its 30 %-zoom model showed "a preference for
/// the mouth region as can be found in the data of Blais et al." (2017), who found eyes and mouth to be the fixated
/// regions, the mouth more for some expressions. It names neither numbers nor the expressions, so the human column
/// states that pattern and no per-class values.
/// </summary>
public static class EyesMouthComparison
{
    /// <summary>|preference| below this counts as no preference.</summary>
    public const double Indifference = 0.05;

    /// <summary>What the seed paper reports of Blais et al. (2017), the same for every class.</summary>
    public const string HumanPattern = "eyes and mouth fixated; mouth more for some expressions (Blais et al. 2017, as cited; no per-class values)";

    /// <summary>The rows of <paramref name="s"/> (all steps), one per class with images.</summary>
    public static IReadOnlyList<EyesMouthRow> Rows(AttentionSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Enumerable.Range(0, s.Labels.Count).Where(k => s.ImageCount[k] > 0).Select(k =>
            new EyesMouthRow(s.Labels[k], s.ImageCount[k], s.RegionSharesAllSteps[k][0], s.RegionSharesAllSteps[k][1],
                s.RegionAreaFractions[k][0], s.RegionAreaFractions[k][1])).ToList();
    }

    /// <summary>CSV text: one line per class.</summary>
    public static string Csv(IReadOnlyList<EyesMouthRow> rows)
    {
        var sb = new StringBuilder("class,images,eyes_share,mouth_share,eyes_area,mouth_area,eyes_density,mouth_density,preference,prefers\n");
        foreach (var r in rows)
            sb.Append(F($"{r.Label},{r.Images},{r.EyesShare:0.####},{r.MouthShare:0.####},{r.EyesArea:0.####},{r.MouthArea:0.####},{r.EyesDensity:0.###},{r.MouthDensity:0.###},{r.Preference:0.###},{r.Prefers}\n"));
        return sb.ToString();
    }

    /// <summary>Markdown table with the human pattern as the last column, and a line saying what the regions were.</summary>
    public static string Markdown(IReadOnlyList<EyesMouthRow> rows, string regionSource)
    {
        var sb = new StringBuilder();
        sb.Append("| class | images | eyes share | mouth share | eyes density | mouth density | preference (eyes +1 … mouth −1) | glimpses prefer | people (paper, after Blais et al. 2017) |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
            sb.Append(F($"| {r.Label} | {r.Images} | {r.EyesShare:0.000} | {r.MouthShare:0.000} | {r.EyesDensity:0.00} | {r.MouthDensity:0.00} | {r.Preference:+0.00;-0.00;0.00} | {r.Prefers} | eyes and mouth; mouth more for some expressions |\n"));
        sb.Append(F($"\nRegions: {regionSource}. Density = share of glimpse area on the region ÷ share of the crop the region covers (1 = a glimpse over the whole crop; above 1 = concentrated there). "));
        sb.Append("The paper gives no per-class human numbers; the last column is the pattern it cites.\n");
        return sb.ToString();
    }

    /// <summary>Grouped bars: eyes and mouth density per class, with the preference under each class name.</summary>
    public static Mat Figure(IReadOnlyList<EyesMouthRow> rows, string title)
    {
        if (rows.Count == 0) throw new ArgumentException("no class has images", nameof(rows));
        var categories = rows.Select(r => F($"{r.Label} {r.Preference:+0.00;-0.00;0.00}")).ToList();
        using var bars = Charts.Bars(title, "density (1 = whole crop)", categories,
            [("eyes", rows.Select(r => r.EyesDensity).ToList()), ("mouth", rows.Select(r => r.MouthDensity).ToList())],
            0, null, "0.00", width: 1100, height: 520);
        // The human pattern under the bars: the paper gives it in words only, so it is text, not bars.
        var figure = new Mat(new Size(bars.Width, bars.Height + 56), MatType.CV_8UC3, Charts.White);
        using (var roi = figure[new Rect(0, 0, bars.Width, bars.Height)]) bars.CopyTo(roi);
        Cv2.PutText(figure, "density = share of glimpse area on the region / share of the crop it covers; preference = (eyes - mouth) / (eyes + mouth)",
            new Point(20, bars.Height + 12), Charts.Font, 0.45, Charts.DarkGrey, 1, LineTypes.AntiAlias);
        Cv2.PutText(figure, "people (Blais et al. 2017, as the paper cites them): eyes and mouth fixated, the mouth more for some expressions; no per-class values",
            new Point(20, bars.Height + 38), Charts.Font, 0.45, Charts.Black, 1, LineTypes.AntiAlias);
        return figure;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
