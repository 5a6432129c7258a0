
namespace EdramFer.Training.Train;

/// <summary>
/// Where the validation glimpses went in one epoch, for the run log: per step the median effective scale
/// sqrt|det θ| and the mean distance (input pixels) the glimpse centre moved from the previous step (0 at step 1),
/// so a run shows while it trains whether the attention zooms and moves.
/// </summary>
public sealed record EpochDiagnostics(double[] MedianScale, double[] MeanShiftPixels, double? MovingAverageAccuracy)
{
    /// <param name="thetas">Per image, T·6 values of θ (PyTorch convention).</param>
    /// <param name="inputSize">Side of the network input in pixels.</param>
    /// <param name="movingAverageAccuracy">Validation accuracy with the moving-average batch-norm statistics, when measured.</param>
    public static EpochDiagnostics From(IReadOnlyList<float[]> thetas, int inputSize, double? movingAverageAccuracy)
    {
        int steps = thetas.Count == 0 ? 0 : thetas[0].Length / 6;
        var scale = new double[steps];
        var shift = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            var s = thetas.Select(th => (double)MathF.Sqrt(MathF.Abs(th[6 * t] * th[6 * t + 4] - th[6 * t + 1] * th[6 * t + 3]))).Order().ToArray();
            scale[t] = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
            if (t > 0)
                shift[t] = thetas.Average(th => Math.Sqrt(Sq(th[6 * t + 2] - th[6 * t - 4]) + Sq(th[6 * t + 5] - th[6 * t - 1]))) * inputSize / 2;
        }
        return new EpochDiagnostics(scale, shift, movingAverageAccuracy);
    }

    static double Sq(double v) => v * v;
}
