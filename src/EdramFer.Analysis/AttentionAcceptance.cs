using System.Globalization;
using System.Text;

namespace EdramFer.Analysis;

/// <summary>One acceptance check: what was measured against which threshold.</summary>
/// <param name="Name">the check in words</param>
/// <param name="Measured">the measured number, formatted with its unit</param>
/// <param name="Threshold">the condition it must meet</param>
/// <param name="Passed">whether it met it</param>
/// <param name="AppliesHere">false for a check of the other kind of model, reported for reference only</param>
public sealed record AcceptanceCheck(string Name, string Measured, string Threshold, bool Passed, bool AppliesHere);

/// <summary>
/// The glimpse checks of issue #11's acceptance list, from the per-step statistics of <c>edram heatmap</c>.
/// Unrestricted model (zoom limit 1): every glimpse centre inside the crop, off-image share (mean over images) ≤ 5 %
/// at every step, median effective scale ≤ 0.5 at steps ≥ 2, centres moving ≥ 5 px between consecutive steps on
/// average. Limited model (zoom limit &lt; 1): every glimpse's effective scale ≤ limit + 0.01; the unrestricted
/// checks are then listed for reference.
/// </summary>
public static class AttentionAcceptance
{
    /// <summary>Largest mean off-image share allowed at any step.</summary>
    public const double MaxOffImage = 0.05;
    /// <summary>Largest median effective scale allowed at steps ≥ 2 (unrestricted model).</summary>
    public const double MaxMedianScale = 0.5;
    /// <summary>Smallest mean centre movement between consecutive steps (px).</summary>
    public const double MinMovePx = 5;
    /// <summary>How far a glimpse's scale may exceed the zoom limit (float rounding in the exported graph).</summary>
    public const double ScaleTolerance = 0.01;

    /// <summary>The checks for a model with zoom limit <paramref name="zoomLimit"/> (1 = unrestricted).</summary>
    public static IReadOnlyList<AcceptanceCheck> Evaluate(IReadOnlyList<StepStatistics> steps, double zoomLimit)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0) throw new ArgumentException("no steps", nameof(steps));
        if (!(zoomLimit is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(zoomLimit), zoomLimit, "zoom limit must be in (0, 1]");
        var limited = zoomLimit < 1;
        var checks = new List<AcceptanceCheck>();
        if (limited)
        {
            var maxScale = steps.Max(s => s.ScaleMax);
            var at = steps.First(s => s.ScaleMax == maxScale).Step;
            checks.Add(new("every glimpse's effective scale ≤ zoom limit + 0.01", F($"largest {maxScale:0.0000} (step {at})"),
                F($"≤ {zoomLimit + ScaleTolerance:0.00}"), maxScale <= zoomLimit + ScaleTolerance, true));
        }
        var outside = steps.Sum(s => s.CentresOutside);
        checks.Add(new("every glimpse centre inside the crop", F($"{outside} of {steps.Sum(s => s.Images)} centres outside"), "0 outside", outside == 0, !limited));
        var worstOff = steps.MaxBy(s => s.OffImageMean)!;
        checks.Add(new("off-image share (mean over images) ≤ 5 % at every step", F($"largest {100 * worstOff.OffImageMean:0.00} % (step {worstOff.Step})"),
            "≤ 5 %", worstOff.OffImageMean <= MaxOffImage, !limited));
        var later = steps.Where(s => s.Step >= 2).ToList();
        if (later.Count > 0)
        {
            var worstScale = later.MaxBy(s => s.ScaleMedian)!;
            checks.Add(new("median effective scale ≤ 0.5 at steps ≥ 2", F($"largest median {worstScale.ScaleMedian:0.000} (step {worstScale.Step})"),
                "≤ 0.5", worstScale.ScaleMedian <= MaxMedianScale, !limited));
            var move = later.Average(s => s.MeanMovePx);
            checks.Add(new("glimpse centres move ≥ 5 px between consecutive steps on average", F($"{move:0.00} px"),
                "≥ 5 px", move >= MinMovePx, !limited));
        }
        return checks;
    }

    /// <summary>A markdown section: the model, its zoom limit and one row per check with PASS/FAIL.</summary>
    public static string Markdown(string modelName, double zoomLimit, int images, IReadOnlyList<AcceptanceCheck> checks)
    {
        var sb = new StringBuilder();
        sb.Append(F($"Acceptance checks (issue #11) for {modelName}, zoom limit {zoomLimit:0.##}"))
          .Append(zoomLimit < 1 ? " (limited model)" : " (unrestricted model)").Append(F($", {images} images\n\n"));
        sb.Append("| check | measured | required | result |\n|---|---|---|---|\n");
        foreach (var c in checks)
            sb.Append($"| {c.Name} | {c.Measured} | {c.Threshold} | {(c.AppliesHere ? (c.Passed ? "PASS" : "FAIL") : $"({(c.Passed ? "met" : "not met")}; unrestricted check, for reference)")} |\n");
        var applying = checks.Where(c => c.AppliesHere).ToList();
        sb.Append(F($"\n{applying.Count(c => c.Passed)} of {applying.Count} checks pass.\n"));
        return sb.ToString();
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
