using EdramFer.ML;
using System.Globalization;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using EdramFer.Vision;

namespace EdramFer.Analysis.Tests;

/// <summary>The per-step statistics and landmark regions on a real run of the shipped model (onnx/edram-fer2013.onnx).</summary>
public class ShippedModelStatisticsTests
{
    private static string ModelPath => Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");

    [SharedDataFact("fer2013/test", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void Run_ShippedModelOnFer2013_StepStatisticsMatchTheTracesAndTheKnownFirstGlimpse()
    {
        using var scorer = GlimpseScorer.Load(ModelPath);
        using var landmarks = new YuNetLandmarkProvider(SharedData.Path("face_detectors", "face_detection_yunet_2023mar.onnx"));
        var images = TestModels.FerTest(6).Select(f => new LabeledImage(f.Path, f.Label)).ToList();
        var run = AttentionAnalysis.Run(scorer, scorer.Info.Preprocess with { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage }, images, landmarks: landmarks);
        var s = run.Summary;
        var size = scorer.Info.InputSize;
        Assert.Equal(images.Count, s.TotalImages);
        Assert.Equal(scorer.Info.Steps, s.StepStats.Count);

        // Recomputed from the traces, step by step.
        for (var t = 0; t < s.Steps; t++)
        {
            var scales = run.Traces.Select(x => GlimpseStepAccumulator.EffectiveScale(x.Trace.Theta(t))).Order().ToList();
            Assert.Equal(GlimpseStepAccumulator.Percentile(scales, 0.5), s.StepStats[t].ScaleMedian, 9);
            Assert.Equal(scales.Max(), s.StepStats[t].ScaleMax, 9);
            var off = run.Traces.Average(x => GlimpseStepAccumulator.OffImageShare(x.Trace.Theta(t), size, scorer.AlignCorners));
            Assert.Equal(off, s.StepStats[t].OffImageMean, 9);
            if (t == 0) continue;
            var move = run.Traces.Average(x =>
            {
                var (ax, ay) = GlimpseGeometry.Center(x.Trace.Theta(t - 1), size, scorer.AlignCorners);
                var (bx, by) = GlimpseGeometry.Center(x.Trace.Theta(t), size, scorer.AlignCorners);
                return Math.Sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay));
            });
            Assert.Equal(move, s.StepStats[t].MeanMovePx, 9);
        }
        // The shipped model's first glimpse (issue #11): the whole crop's size, centred on the top-right corner.
        Assert.Equal(0.75, s.StepStats[0].OffImageMean, 3);
        Assert.Equal(1, s.StepStats[0].ScaleMedian, 3);
        Assert.InRange(s.StepStats[1].ScaleMedian, 0.7, 0.95);
        Assert.False(AttentionAcceptance.Evaluate(s.StepStats, 1).Single(c => c.Name.StartsWith("off-image")).Passed);

        Assert.True(s.ImagesWithOwnRegions >= 0.8 * s.TotalImages, $"landmark regions on {s.ImagesWithOwnRegions} of {s.TotalImages}");
        var rows = EyesMouthComparison.Rows(s);
        Assert.Equal(7, rows.Count);
        Assert.All(rows, r => Assert.True(double.IsFinite(r.Preference) && r.EyesArea is > 0.05 and < 0.4, $"{r.Label}: {r}"));
    }

    [SharedDataFact("fer2013/test", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void Write_ShippedModelRun_WritesStepsEyesMouthAndAcceptance()
    {
        using var scorer = GlimpseScorer.Load(ModelPath);
        var images = TestModels.FerTest(2).Select(f => new LabeledImage(f.Path, f.Label)).ToList();
        var run = AttentionAnalysis.Run(scorer, scorer.Info.Preprocess with { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage }, images);
        var root = TestModels.TempFolder("report");
        var dir = Path.Combine(root, "figures", "fer2013-cpu-12ep");
        var files = AttentionAnalysis.Write(run, dir, "edram-fer2013.onnx", false, scorer.AlignCorners);
        foreach (var name in new[] { "steps.csv", "eyes_mouth.csv", "eyes_mouth.md", "eyes_mouth.png" })
            Assert.Contains(Path.Combine(dir, name), files);
        var lines = File.ReadAllLines(Path.Combine(dir, "steps.csv"));
        Assert.Equal(string.Join(",", AttentionReport.StepColumns), lines[0]);
        Assert.Equal(scorer.Info.Steps + 1, lines.Length);
        Assert.Equal(0.75, double.Parse(lines[1].Split(',')[10], CultureInfo.InvariantCulture), 3); // off_image_mean at step 1
        Assert.Contains("fixed rectangles", File.ReadAllText(Path.Combine(dir, "eyes_mouth.md")));
        Assert.Contains("\"glimpse_steps\"", File.ReadAllText(Path.Combine(dir, "summary.json")));

        var checks = AttentionReport.WriteAcceptance(run.Summary, dir, "edram-fer2013.onnx", 1, null);
        Assert.Contains("| FAIL |", File.ReadAllText(Path.Combine(dir, "acceptance.md")));
        Assert.Contains("\"passed\": false", File.ReadAllText(Path.Combine(dir, "acceptance.json")));
        Assert.Contains("First glimpse: inter-class variance 0 px²", File.ReadAllText(Path.Combine(dir, "acceptance.md")));
        Assert.Equal(4, checks.Count);

        // Read back for notebook 3's zoom table, next to a recorded run of the same name.
        var runDir = Directory.CreateDirectory(Path.Combine(root, "runs", "fer2013-cpu-12ep")).FullName;
        File.Copy(Path.Combine(SharedData.RepoRoot, "docs", "runs", "fer2013-cpu-12ep", "metrics.json"), Path.Combine(runDir, "metrics.json"));
        var back = RunGlimpses.Read(dir);
        Assert.Equal(run.Summary.StepStats.Select(t => Math.Round(t.ScaleMedian, 6)), back.Steps.Select(t => t.ScaleMedian));
        Assert.Equal(14, back.Images);
        var table = ZoomGlimpseTable.Build(TrainingRun.FindAll(Path.Combine(root, "runs")), Path.Combine(root, "figures"));
        Assert.Equal(4, table.Count); // the paper's three rows and the run
        var row = table.Single(r => r.Source == "fer2013-cpu-12ep");
        Assert.Equal(Math.Round(100.0 * run.Summary.Correct.Sum() / 14, 1), row.TestAccuracy);
        Assert.Equal("affine", row.Emission); // the shipped model has no edram.emission
        Assert.Equal("FAIL", row.Acceptance);
        Assert.Equal(75.0, row.MaxOffImage);
        Assert.StartsWith("0.", row.ScaleMedianLater);
        Assert.Equal("0 / 0", row.FirstGlimpseVariance); // every first glimpse at the same corner
    }
}
