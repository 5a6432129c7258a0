using EdramFer.Contracts;
using EdramFer.Training.Train;

namespace EdramFer.Training.Tests;

public class ClassificationMetricsTests
{
    [Fact]
    public void From_Predictions_ComputesOverallAndMeanPerClassAccuracy()
    {
        var m = ClassificationMetrics.From(["a", "b", "c"], [0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0], 0.5);
        Assert.Equal(4.0 / 6, m.Accuracy, 10);
        Assert.Equal((0.75 + 0.5) / 2, m.MeanPerClassAccuracy, 10); // class c absent: not averaged
        Assert.Equal(new long[] { 3, 1, 0 }, m.ConfusionMatrix[0]);
        Assert.False(m.PerClassAccuracy.ContainsKey("c"));
    }

    [Fact]
    public void Ccc_PerfectAndShiftedPredictions_MatchDefinition()
    {
        Assert.Equal(1.0, ClassificationMetrics.Ccc([(0, 0), (1, 1), (2, 2)]), 10);
        // Shifted by a constant 1: cov = var = 2/3, denominator 2/3 + 2/3 + 1 → 2·(2/3)/(7/3) = 4/7.
        Assert.Equal(4.0 / 7, ClassificationMetrics.Ccc([(0, 1), (1, 2), (2, 3)]), 10);
    }
}
