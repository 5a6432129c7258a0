using EdramFer.ML;
namespace EdramFer.Analysis.Tests;

public class AttentionAccumulatorTests
{
    private static readonly string[] Labels = ["a", "b", "c"];

    private static float[] Steps(params PixelRect[] boxes) => boxes.SelectMany(b => FaceRegionsTests.Covering(b)).ToArray();

    [Fact]
    public void Heat_TwoClassesDifferentBoxes_OnesInsideZerosOutside()
    {
        var acc = new AttentionAccumulator(Labels, 2, 100, FaceRegions.Fer2013);
        var eyes = FaceRegions.Fer2013.Eyes;
        var mouth = FaceRegions.Fer2013.Mouth;
        var face = new byte[100 * 100];
        for (var i = 0; i < 3; i++) acc.Add($"a{i}", face, 0, Steps(eyes, mouth), 0, [0, 1]);
        acc.Add("b0", face, 1, Steps(mouth, mouth), 2, [1, 2]);
        var s = acc.Build();

        Assert.Equal([3, 1, 0], s.ImageCount);
        Assert.Equal([3, 0, 0], s.Correct);
        Assert.Equal([3, 0], s.StepCorrect[0]);
        Assert.Equal([1, 0], s.StepCorrect[1]);
        // Class a, step 1 on the eyes band: 1 inside (every image), 0 outside.
        Assert.Equal(1f, s.Heat[0][0][37 * 100 + 50]);
        Assert.Equal(0f, s.Heat[0][0][77 * 100 + 50]);
        Assert.Equal(1f, s.Heat[0][1][77 * 100 + 50]);
        // All steps: half the glimpses on each.
        Assert.Equal(0.5f, s.HeatAllSteps[0][37 * 100 + 50]);
        Assert.Equal(0.5f, s.HeatAllSteps[0][77 * 100 + 50]);
        Assert.Equal(0f, s.HeatAllSteps[0][5 * 100 + 5]);
        Assert.Equal(1f, s.HeatAllSteps[1][77 * 100 + 50]);
        Assert.All(s.HeatAllSteps[2], v => Assert.Equal(0f, v)); // no images

        // Region shares: class a = eyes then mouth; all steps half each.
        Assert.Equal(1, s.RegionShares[0][0][0], 4);
        Assert.Equal(1, s.RegionShares[0][1][1], 4);
        Assert.Equal(0.5, s.RegionSharesAllSteps[0][0], 4);
        Assert.Equal(0.5, s.RegionSharesAllSteps[0][1], 4);
        Assert.Equal(1, s.RegionSharesAllSteps[1][1], 4);
        Assert.True(double.IsNaN(s.RegionSharesAllSteps[2][0]));
    }

    [Fact]
    public void MeanFace_AverageOfTheCrops()
    {
        var acc = new AttentionAccumulator(Labels, 1, 100, FaceRegions.Fer2013);
        var theta = Steps(new PixelRect(0, 0, 100, 100));
        acc.Add("x", Enumerable.Repeat((byte)100, 10000).ToArray(), 0, theta, 0, []);
        acc.Add("y", Enumerable.Repeat((byte)200, 10000).ToArray(), 0, theta, 0, []);
        Assert.All(acc.Build().MeanFace[0], v => Assert.Equal(150f, v));
    }

    [Fact]
    public void FirstGlimpseStats_KnownPositions_KnownVariances()
    {
        var acc = new AttentionAccumulator(Labels, 1, 100, FaceRegions.Fer2013);
        // Class a: centres (30, 40) and (50, 40) → mean (40, 40), intra variance 100.
        // Class b: one centre at (70, 70) → intra 0. Class c: none (left out of the inter-class variance).
        acc.Add("a0", [], 0, Steps(new PixelRect(20, 30, 20, 20)), 0, []);
        acc.Add("a1", [], 0, Steps(new PixelRect(40, 30, 20, 20)), 0, []);
        acc.Add("b0", [], 1, Steps(new PixelRect(60, 60, 20, 20)), 1, []);
        var st = acc.Build().FirstGlimpseStats;
        Assert.Equal(40, st.Classes[0].MeanX, 3);
        Assert.Equal(40, st.Classes[0].MeanY, 3);
        Assert.Equal(100, st.Classes[0].IntraClassVariance, 2);
        Assert.Equal(0, st.Classes[1].IntraClassVariance, 3);
        Assert.Equal(0, st.Classes[2].Images);
        // Class means (40,40) and (70,70): grand mean (55,55), each 15²+15² = 450 away.
        Assert.Equal(450, st.InterClassVariance, 2);
        Assert.Equal(200.0 / 3, st.PooledIntraClassVariance, 2);
    }

    [Fact]
    public void Add_WrongGlimpseCount_ThrowsWithNumbers()
    {
        var acc = new AttentionAccumulator(Labels, 2, 100, FaceRegions.Fer2013);
        var e = Assert.Throws<ArgumentException>(() => acc.Add("x", [], 0, new float[6], 0, []));
        Assert.Contains("expected 2 steps", e.Message);
    }
}
