namespace EdramFer.Contracts;

/// <summary>One bin of a reliability diagram: the images whose top probability fell in (Lower, Upper].</summary>
/// <param name="Lower">bin start (exclusive; 0 is included in the first bin)</param>
/// <param name="Upper">bin end (inclusive)</param>
/// <param name="Count">images in the bin</param>
/// <param name="Confidence">their mean top probability (NaN when empty)</param>
/// <param name="Accuracy">the share of them predicted right (NaN when empty)</param>
public sealed record ReliabilityBin(double Lower, double Upper, long Count, double Confidence, double Accuracy);

/// <summary>
/// How far confidence is from accuracy: reliability bins and the expected calibration error (Guo et al. 2017: 15
/// equal-width bins over the top probability, ECE = Σ n_b / N · |accuracy_b − confidence_b|), and the temperature
/// that makes softmax(logits / T) fit held-out labels best (minimum negative log-likelihood).
/// </summary>
public static class Calibration
{
    /// <summary>The standard bin count.</summary>
    public const int DefaultBins = 15;

    /// <summary>Bins of (top probability, prediction right) pairs.</summary>
    public static IReadOnlyList<ReliabilityBin> Bins(IReadOnlyList<(double Confidence, bool Correct)> predictions, int bins = DefaultBins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var count = new long[bins];
        var confidence = new double[bins];
        var correct = new long[bins];
        foreach (var (c, right) in predictions)
        {
            if (c is < 0 or > 1 || double.IsNaN(c)) throw new ArgumentOutOfRangeException(nameof(predictions), c, "a confidence must be in [0, 1]");
            var b = Math.Clamp((int)Math.Ceiling(c * bins) - 1, 0, bins - 1);
            count[b]++;
            confidence[b] += c;
            if (right) correct[b]++;
        }
        return Enumerable.Range(0, bins).Select(b => new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, count[b],
            count[b] == 0 ? double.NaN : confidence[b] / count[b], count[b] == 0 ? double.NaN : (double)correct[b] / count[b])).ToList();
    }

    /// <summary>Expected calibration error of the bins (0 for no images).</summary>
    public static double ExpectedCalibrationError(IReadOnlyList<ReliabilityBin> bins)
    {
        var total = bins.Sum(b => b.Count);
        return total == 0 ? 0 : bins.Where(b => b.Count > 0).Sum(b => (double)b.Count / total * Math.Abs(b.Accuracy - b.Confidence));
    }

    /// <summary>
    /// The temperature T in [0.05, 20] minimising the mean negative log-likelihood of <paramref name="truth"/> under
    /// the mean over branches of softmax(logits / T): one logit row per branch and image (a mirror-averaged model has
    /// two branches, its image and the mirror image; a plain one has one). Golden-section search on log T (the
    /// likelihood is unimodal in T for fixed logits).
    /// </summary>
    public static double FitTemperature(IReadOnlyList<IReadOnlyList<float[]>> branches, IReadOnlyList<int> truth)
    {
        if (branches.Count == 0 || branches.Any(b => b.Count != truth.Count)) throw new ArgumentException("one logit row per image in every branch");
        double Nll(double t) => Enumerable.Range(0, truth.Count).Average(i =>
            -Math.Log(Math.Max(1e-12, branches.Average(b => Softmax(b[i], t)[truth[i]]))));
        double lo = Math.Log(0.05), hi = Math.Log(20), phi = (Math.Sqrt(5) - 1) / 2;
        double a = hi - phi * (hi - lo), b2 = lo + phi * (hi - lo);
        double fa = Nll(Math.Exp(a)), fb = Nll(Math.Exp(b2));
        for (var k = 0; k < 60; k++)
        {
            if (fa < fb) { hi = b2; b2 = a; fb = fa; a = hi - phi * (hi - lo); fa = Nll(Math.Exp(a)); }
            else { lo = a; a = b2; fa = fb; b2 = lo + phi * (hi - lo); fb = Nll(Math.Exp(b2)); }
        }
        return Math.Exp((lo + hi) / 2);
    }

    /// <summary>softmax(logits / T), computed stably.</summary>
    public static double[] Softmax(float[] logits, double temperature)
    {
        var max = logits.Max();
        var e = logits.Select(z => Math.Exp((z - max) / temperature)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
