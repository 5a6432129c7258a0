using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Xunit.Abstractions;

namespace EdramFer.Analysis.Tests;

/// <summary>
/// Framing of real photos against FER2013's (the accuracy issue's check, label-free): YuNet's landmarks re-found on the
/// crops the model sees from the muxspace photos, averaged, against the mean FER2013 crop (RegionMeasurementTests). With
/// eye alignment every mean lies within 3 px; the box crop (margin 0.2) is reported beside it.
/// </summary>
public class FramingTests(ITestOutputHelper output)
{
    private static readonly double[] Fer2013 = [32.0, 37.4, 67.6, 36.8, 49.5, 58.6, 35.8, 76.1, 65.3, 75.6];
    private static readonly string[] Names = ["right eye x", "right eye y", "left eye x", "left eye y", "nose x", "nose y",
        "mouth right x", "mouth right y", "mouth left x", "mouth left y"];

    private static double[] MeanLandmarks(FaceAlignment alignment, IReadOnlyList<string> photos, out int measured)
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [DetectorKind.YuNet], Alignment = alignment });
        using var landmarks = new YuNetLandmarkProvider(ShippedModels.YuNetPath!);
        var sums = new double[10];
        measured = 0;
        foreach (var photo in photos)
        {
            var r = pre.ProcessFile(photo);
            if (!r.HasPixels || landmarks.Locate(r.Pixels, 100) is not { } l) continue;
            double[] v = [l.RightEye.X, l.RightEye.Y, l.LeftEye.X, l.LeftEye.Y, l.Nose.X, l.Nose.Y, l.RightMouth.X, l.RightMouth.Y, l.LeftMouth.X, l.LeftMouth.Y];
            for (var k = 0; k < 10; k++) sums[k] += v[k];
            measured++;
        }
        var n = measured;
        return sums.Select(s => s / Math.Max(1, n)).ToArray();
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void EyeAlignedCrops_OfRealPhotos_MeanLandmarksWithin3PxOfFer2013()
    {
        var photos = Directory.GetFiles(SharedData.Path("muxspace_facial_expressions", "images")).Order(StringComparer.Ordinal)
            .Where((_, i) => i % 10 == 0).ToList();
        var aligned = MeanLandmarks(FaceAlignment.Eyes, photos, out var alignedCount);
        var box = MeanLandmarks(FaceAlignment.None, photos, out var boxCount);
        output.WriteLine($"{photos.Count} photos; landmarks re-found on {alignedCount} aligned and {boxCount} box crops");
        for (var k = 0; k < 10; k++)
            output.WriteLine($"{Names[k],-14} FER2013 {Fer2013[k],5:0.0}  aligned {aligned[k],5:0.0} ({aligned[k] - Fer2013[k]:+0.0;-0.0})  box {box[k],5:0.0} ({box[k] - Fer2013[k]:+0.0;-0.0})");
        Assert.True(alignedCount >= 0.8 * photos.Count, $"landmarks on only {alignedCount} of {photos.Count} aligned crops");
        for (var k = 0; k < 10; k++)
            Assert.True(Math.Abs(aligned[k] - Fer2013[k]) < 3, $"{Names[k]}: aligned crops {aligned[k]:0.0}, FER2013 {Fer2013[k]}");
    }
}
