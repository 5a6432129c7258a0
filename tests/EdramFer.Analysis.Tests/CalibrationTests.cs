using EdramFer.Contracts;

namespace EdramFer.Analysis.Tests;

/// <summary>Reliability bins, expected calibration error and temperature fitting (Contracts.Calibration).</summary>
public class CalibrationTests
{
    [Fact]
    public void Bins_HandComputed_EceIsTheCountWeightedGap()
    {
        // Bin (0.6, 0.667]: 0.62 right, 0.65 wrong → confidence 0.635, accuracy 0.5. Bin (0.933, 1]: 1.0 right, 0.95 right.
        var bins = Calibration.Bins([(0.62, true), (0.65, false), (1.0, true), (0.95, true)]);
        Assert.Equal(15, bins.Count);
        Assert.Equal(4, bins.Sum(b => b.Count));
        var middle = bins[9];
        Assert.Equal((2L, 0.635, 0.5), (middle.Count, Math.Round(middle.Confidence, 6), middle.Accuracy));
        Assert.Equal(2, bins[14].Count);
        Assert.Equal(0.5 * Math.Abs(0.5 - 0.635) + 0.5 * Math.Abs(1 - 0.975), Calibration.ExpectedCalibrationError(bins), 12);
        Assert.Equal(1, Calibration.Bins([(0.0, false)])[0].Count); // 0 belongs to the first bin
    }

    [Fact]
    public void FitTemperature_LabelsDrawnAtAKnownTemperature_RecoversIt()
    {
        var rng = new Random(7);
        const double truth = 2.5;
        var logits = new List<float[]>();
        var labels = new List<int>();
        for (var i = 0; i < 4000; i++)
        {
            var z = Enumerable.Range(0, 7).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
            var p = Calibration.Softmax(z, truth);
            double u = rng.NextDouble(), cumulative = 0;
            var y = 0;
            while (y < 6 && (cumulative += p[y]) < u) y++;
            logits.Add(z);
            labels.Add(y);
        }
        Assert.InRange(Calibration.FitTemperature([logits], labels), 2.3, 2.7);
        // Two identical branches (a mirror-averaged model whose mirror sees the same) fit the same temperature.
        Assert.Equal(Calibration.FitTemperature([logits], labels), Calibration.FitTemperature([logits, logits], labels), 6);
    }

    [Fact]
    public void Bins_ConfidenceOutsideZeroOne_Refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Bins([(1.2, true)]));
}
