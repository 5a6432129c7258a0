using EdramFer.ML;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using EdramFer.Vision;

namespace EdramFer.Analysis.Tests;

public class LandmarkRegionsTests
{
    private static string YuNet => SharedData.Path("face_detectors", "face_detection_yunet_2023mar.onnx");

    /// <summary>The mean YuNet landmarks of FER2013 PublicTest (docs/analysis.md).</summary>
    private static readonly FaceLandmarks Fer2013Mean = new(new PixelRect(10.4, 2.3, 80.3, 97.4), (32.0, 37.4), (67.6, 36.8), (49.5, 58.6), (35.8, 76.1), (65.3, 75.6));

    private static void Near(PixelRect expected, PixelRect actual, double tolerance)
    {
        Assert.True(Math.Abs(expected.X - actual.X) <= tolerance && Math.Abs(expected.Y - actual.Y) <= tolerance
            && Math.Abs(expected.Right - actual.Right) <= tolerance && Math.Abs(expected.Bottom - actual.Bottom) <= tolerance,
            $"expected {expected}, got {actual}");
    }

    private static bool Inside(PixelRect r, (double X, double Y) p) => p.X > r.X && p.X < r.Right && p.Y > r.Y && p.Y < r.Bottom;

    [Fact]
    public void From_Fer2013MeanLandmarks_ReproducesTheFixedRectangles()
    {
        var r = LandmarkRegions.From(Fer2013Mean, 100)!;
        Near(FaceRegions.Fer2013.Eyes, r.Eyes, 1.5);
        Near(FaceRegions.Fer2013.Mouth, r.Mouth, 1.5);
        Near(FaceRegions.Fer2013.Face, r.Face, 1.5);
    }

    [Fact]
    public void From_MouthCloseBelowTheEyes_BandsSplitAtTheMidpoint()
    {
        var squashed = Fer2013Mean with { RightMouth = (35.8, 50), LeftMouth = (65.3, 50) };
        var r = LandmarkRegions.From(squashed, 100)!;
        Assert.Equal((37.1 + 50) / 2, r.Eyes.Bottom, 6);
        Assert.Equal(r.Eyes.Bottom, r.Mouth.Y, 6);
        r.Validate();
    }

    [Fact]
    public void From_DegenerateLandmarks_Null()
    {
        Assert.Null(LandmarkRegions.From(Fer2013Mean with { LeftEye = (32.5, 37.4) }, 100));
        Assert.Null(LandmarkRegions.From(Fer2013Mean with { RightMouth = (35.8, 20), LeftMouth = (65.3, 20) }, 100));
    }

    /// <summary>Landmarks on the crops <paramref name="options"/> makes of <paramref name="files"/>, with their regions.</summary>
    private static List<(FaceLandmarks Landmarks, FaceRegions Regions)> Locate(IReadOnlyList<string> files, PreprocessOptions options, out int crops)
    {
        using var preprocessor = new FacePreprocessor(options);
        using var provider = new YuNetLandmarkProvider(YuNet);
        var pre = preprocessor.ProcessFiles(files, 1).Where(p => p.HasPixels).ToList();
        crops = pre.Count;
        return pre.Select(p => provider.Locate(p.Pixels!, options.OutputSize)).OfType<FaceLandmarks>()
            .Select(lm => (lm, LandmarkRegions.From(lm, options.OutputSize)!)).ToList();
    }

    private static void AssertRegionsHoldTheirLandmarks(List<(FaceLandmarks Landmarks, FaceRegions Regions)> found)
    {
        foreach (var (lm, r) in found)
        {
            Assert.NotNull(r);
            r.Validate();
            Assert.True(Inside(r.Eyes, lm.LeftEye) && Inside(r.Eyes, lm.RightEye), $"eyes {lm.RightEye} {lm.LeftEye} not in {r.Eyes}");
            Assert.True(Inside(r.Mouth, lm.LeftMouth) && Inside(r.Mouth, lm.RightMouth), $"mouth {lm.RightMouth} {lm.LeftMouth} not in {r.Mouth}");
        }
        // The nose tip lies between the bands; on tilted or foreshortened faces it can reach the mouth box's top.
        var noseIn = found.Count(f => Inside(f.Regions.Eyes, f.Landmarks.Nose) || Inside(f.Regions.Mouth, f.Landmarks.Nose));
        Assert.True(noseIn <= 0.1 * found.Count, $"the nose tip falls in the eyes band or mouth box on {noseIn} of {found.Count} faces");
    }

    [SharedDataFact("fer2013/test", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void YuNet_Fer2013Crops_FindsMostFacesAndRegionsHoldTheLandmarks()
    {
        var files = TestModels.FerTest(8).Select(f => f.Path).ToList();
        var found = Locate(files, new PreprocessOptions { Detectors = [] }, out var crops);
        Assert.Equal(files.Count, crops);
        Assert.True(found.Count >= 0.8 * crops, $"YuNet found landmarks on {found.Count} of {crops} FER2013 crops");
        AssertRegionsHoldTheirLandmarks(found);
        // Aligned crops: the per-image eyes band overlaps the fixed one on average.
        var overlap = found.Average(f => f.Regions.Eyes.Intersect(FaceRegions.Fer2013.Eyes).Area / f.Regions.Eyes.Area);
        Assert.True(overlap > 0.6, $"mean overlap with the fixed eyes band {overlap:0.00}");
    }

    [SharedDataFact("muxspace_facial_expressions/images", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void YuNet_DetectorCropsOfPhotos_FindsMostFacesAndRegionsHoldTheLandmarks()
    {
        var files = TestModels.Muxspace(24);
        var found = Locate(files, new PreprocessOptions { Detectors = [DetectorKind.YuNet], YuNetModelPath = YuNet, NoFacePolicy = NoFacePolicy.Reject }, out var crops);
        Assert.True(crops >= 20, $"the detector cropped only {crops} of {files.Count} photos");
        Assert.True(found.Count >= 0.8 * crops, $"YuNet found landmarks on {found.Count} of {crops} detector crops");
        AssertRegionsHoldTheirLandmarks(found);
    }
}
