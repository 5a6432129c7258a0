using System.Diagnostics;
using EdramFer.Tests.Shared;
using Xunit.Abstractions;

namespace EdramFer.Vision.Tests;

/// <summary>Detection rates on the real shared data (skipped with a reason when it is absent).</summary>
public sealed class DetectionRateTests(ITestOutputHelper output)
{
    private const string Models = "face_detectors";

    /// <summary>Runs one chain over files in parallel, prints the rate and the misses, returns faces found.</summary>
    private int Rate(PreprocessOptions options, IReadOnlyList<string> files, string label)
    {
        using var pre = new FacePreprocessor(options with { NoFacePolicy = NoFacePolicy.Reject });
        var sw = Stopwatch.StartNew();
        var results = pre.ProcessFiles(files);
        var found = results.Count(r => r.FaceFound);
        output.WriteLine($"{label}: face found in {found}/{files.Count} = {100.0 * found / files.Count:F2} % ({sw.Elapsed.TotalSeconds:F1} s)");
        foreach (var r in results.Where(r => !r.FaceFound).Take(20)) output.WriteLine($"  miss: {r.Status} {r.Message}");
        Assert.All(results, r => Assert.True(r.Status is PreprocessStatus.Ok or PreprocessStatus.NoFace, r.Message));
        return found;
    }

    [SharedDataFact(TestImages.MuxspaceImages, Models)]
    public void Ssd_MuxspaceAll1160_FindsFaceInAtLeast99Percent()
    {
        // All images although a pass takes ~60-70 s on 2 cores: the misses cluster in a few small web photos, so a
        // sample's rate swings around 99 % (every other image: 98.8 %) and would not test the requirement.
        var files = TestImages.Muxspace().ToList();

        var found = Rate(TestImages.WithDetectors(DetectorKind.Ssd), files, "SSD muxspace (all images)");

        Assert.Equal(1160, files.Count);
        Assert.True(found >= 0.99 * files.Count, $"SSD found {found}/{files.Count}");
    }

    [SharedDataFact(TestImages.MuxspaceImages, Models)]
    public void YuNet_MuxspaceAll1160_FindsFaceInAtLeast99Percent()
    {
        var files = TestImages.Muxspace();

        var found = Rate(TestImages.WithDetectors(DetectorKind.YuNet), files, "YuNet muxspace (all images)");

        Assert.Equal(1160, files.Length);
        Assert.True(found >= 0.99 * files.Length, $"YuNet found {found}/{files.Length}");
    }

    [SharedDataFact(TestImages.MuxspaceImages)]
    public void Haar_MuxspaceEveryThirdImage387_RateAboveMeasuredFloor()
    {
        // A full pass takes ~65 s here, so every third image. Measured: full pass 910/1160 = 78.4 %.
        var files = TestImages.Muxspace().Where((_, i) => i % 3 == 0).ToList();

        var found = Rate(new PreprocessOptions { Detectors = [DetectorKind.Haar] }, files, "Haar muxspace (every third image)");

        // The floor leaves room for OpenCV version drift, not for a broken detector (which finds far fewer).
        Assert.True(found >= HaarFloor * files.Count, $"Haar found {found}/{files.Count}, floor {HaarFloor:P0}");
    }

    private const double HaarFloor = 0.70;

    [SharedDataFact("fer2013/test", Models)]
    public void Chain_Fer2013PublicTestSample300_FindsFaceInAtLeast95Percent()
    {
        // Deterministic pick: every n-th file of the ordinally sorted PublicTest list, 300 in all.
        var all = Directory.GetFiles(SharedData.Path("fer2013", "test"), "*.jpg", SearchOption.AllDirectories)
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var step = all.Length / 300;
        var sample = Enumerable.Range(0, 300).Select(i => all[i * step]).ToList();

        var found = Rate(TestImages.WithDetectors(DetectorKind.YuNet, DetectorKind.Ssd, DetectorKind.Haar), sample, "YuNet→SSD→Haar FER2013 PublicTest 300");

        Assert.True(found >= 0.95 * sample.Count, $"chain found {found}/{sample.Count}");
    }

    [SharedDataFact(TestImages.MuxspaceImages, Models)]
    public void ProcessFiles_Parallel100Images_SameBytesAsSequential()
    {
        var files = TestImages.Muxspace().Where((_, i) => i % 11 == 0).Take(100).ToList();
        // The fallback crop for the few photos no detector finds: every result has pixels to compare.
        using var pre = new FacePreprocessor(TestImages.WithDetectors(DetectorKind.YuNet, DetectorKind.Ssd, DetectorKind.Haar) with { NoFacePolicy = NoFacePolicy.CentreCrop });

        var sequential = pre.ProcessFiles(files, maxDegreeOfParallelism: 1);
        var parallel = pre.ProcessFiles(files, maxDegreeOfParallelism: 4);

        Assert.Equal(100, files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.NotNull(sequential[i].Pixels);
            Assert.Equal(sequential[i].Face, parallel[i].Face);
            Assert.Equal(sequential[i].Pixels, parallel[i].Pixels);
        }
    }
}
