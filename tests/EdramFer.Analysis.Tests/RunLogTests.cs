using EdramFer.Contracts;
using EdramFer.Tests.Shared;

namespace EdramFer.Analysis.Tests;

/// <summary>
/// The run-log contract (Contracts.RunLog) that the trainer writes and the analysis reads: every run record committed
/// in docs/runs, old ones included, reads through it with its figures intact, and a record survives a round trip.
/// </summary>
public class RunLogTests
{
    private static string RunsFolder => Path.Combine(SharedData.RepoRoot, "docs", "runs");

    [Fact]
    public void CommittedRuns_AllRead_WithTheirFigures()
    {
        var runs = TrainingRun.FindAll(RunsFolder);
        Assert.True(runs.Count >= 6, $"{runs.Count} runs in {RunsFolder}");
        foreach (var run in runs)
        {
            Assert.NotEmpty(run.Epochs);
            Assert.Equal(Enumerable.Range(1, run.Epochs.Count), run.Epochs.Select(e => e.Epoch));
            Assert.All(run.Epochs, e => Assert.InRange(e.ValidationAccuracy, 0.1, 0.9));
        }
        var z1 = runs.Single(r => r.Name == "bounded-z1");
        Assert.Equal(12, z1.Metrics!.BestEpoch);
        Assert.Equal(0.5801, z1.Metrics.Validation!.Accuracy, 4);
        Assert.Equal(6, z1.Epochs[^1].MedianScaleByStep!.Length);
        Assert.NotNull(z1.Metrics.ValidationFlipAveraging);
    }

    [Fact]
    public void EpochRecord_RoundTrip_KeepsEveryFieldAndNaN()
    {
        var record = new EpochRecord
        {
            Epoch = 3, TrainLoss = 1.25, TrainAccuracy = 0.5, ValidationLoss = double.NaN, ValidationAccuracy = 0.55,
            ValidationMeanPerClassAccuracy = 0.5, ValidationAccuracyFlip = 0.56, MedianScaleByStep = [1, 0.4],
            MeanShiftPixelsByStep = [0, 7.5], LearningRate = 1e-3, Seconds = 12, ImagesPerSecond = 60,
        };
        var line = RunLog.ToLine(record);
        Assert.DoesNotContain('\n', line);
        var back = RunLog.ParseEpoch(line);
        Assert.True(double.IsNaN(back.ValidationLoss));
        Assert.Equal(record with { ValidationLoss = 0 }, back with { ValidationLoss = 0, MedianScaleByStep = record.MedianScaleByStep, MeanShiftPixelsByStep = record.MeanShiftPixelsByStep });
        Assert.Equal(record.MedianScaleByStep, back.MedianScaleByStep);
        Assert.Equal(record.MeanShiftPixelsByStep, back.MeanShiftPixelsByStep);
    }
}
