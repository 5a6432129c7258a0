using System.Text.Json;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using OpenCvSharp;

namespace EdramFer.Analysis.Tests;

/// <summary><c>edram heatmap</c>'s step statistics, acceptance checks and landmark regions, and <c>edram scanpath</c> on a detector crop, with the shipped model.</summary>
public class HeatmapAcceptanceCommandTests
{
    private static string ModelPath => Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");
    private static string YuNet => SharedData.Path("face_detectors", "face_detection_yunet_2023mar.onnx");

    [SharedDataFact("fer2013/labels.csv", "fer2013/test", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void Heatmap_LandmarkRegionsAndZoomLimit_WritesStepsEyesMouthAndAcceptance()
    {
        var dir = TestModels.TempFolder("heatmap-acceptance");
        var (code, output) = EdramCli.Run(dir, ["heatmap", "--model", ModelPath, "--input", SharedData.Path("fer2013", "labels.csv"), "--where", "split=test",
            "--per-class", "3", "--output", "out", "--detector", "none", "--regions", "landmarks", "--landmark-model", YuNet, "--zoom-limit", "0.3"]);
        Assert.True(code == 0, output);
        var outDir = Path.Combine(dir, "out");
        Assert.Contains("FAIL", output); // the shipped model's glimpses are about 0.8 of the crop
        var md = File.ReadAllText(Path.Combine(outDir, "acceptance.md"));
        Assert.Contains("zoom limit 0.3 (limited model)", md);
        Assert.Contains("every glimpse's effective scale ≤ zoom limit + 0.01 | largest 1.0000 (step 1) | ≤ 0.31 | FAIL |", md);
        using var acceptance = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "acceptance.json")));
        Assert.False(acceptance.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(0.3, acceptance.RootElement.GetProperty("zoom_limit").GetDouble());

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var steps = summary.RootElement.GetProperty("glimpse_steps");
        Assert.Equal(6, steps.GetArrayLength());
        Assert.Equal(0.75, steps[0].GetProperty("off_image_mean").GetDouble(), 3);
        var regions = summary.RootElement.GetProperty("regions");
        Assert.True(regions.GetProperty("images_with_landmark_regions").GetInt32() >= 17, regions.ToString());
        Assert.Contains("YuNet landmarks", regions.GetProperty("definition").GetString());
        Assert.Equal(7, summary.RootElement.GetProperty("eyes_mouth").GetArrayLength());
        using var figure = Cv2.ImRead(Path.Combine(outDir, "eyes_mouth.png"));
        Assert.False(figure.Empty());
    }

    [Fact]
    public void Heatmap_BadRegionsKind_FailsNamingIt()
    {
        var (code, output) = EdramCli.Run(TestModels.TempFolder("heatmap-regions"), ["heatmap", "--model", "m.onnx", "--input", "in.csv", "--output", "out", "--regions", "dlib"]);
        Assert.NotEqual(0, code);
        Assert.Contains("--regions must be fixed or landmarks, got 'dlib'", output);
    }

    [SharedDataFact("muxspace_facial_expressions/images", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void Scanpath_YuNetCropOfAPhoto_PrintsScaleAndOffImagePerStep()
    {
        var dir = TestModels.TempFolder("scanpath-photo");
        var photo = TestModels.Muxspace(1)[0];
        var (code, output) = EdramCli.Run(dir, ["scanpath", "--model", ModelPath, "--image", photo, "--output", "p.png", "--detector", "yunet", "--yunet-model", YuNet]);
        Assert.True(code == 0, output);
        Assert.Matches(@"face\s+found\s+by\s+YuNet", output); // the console wraps at 80 columns
        Assert.Contains("off-image", output);
        Assert.Matches(@"│\s*6\s*│", output);
        using var image = Cv2.ImRead(Path.Combine(dir, "p.png"));
        Assert.False(image.Empty());
    }
}
