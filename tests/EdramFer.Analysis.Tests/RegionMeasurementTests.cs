using EdramFer.ML;
using EdramFer.Tests.Shared;
using OpenCvSharp;

namespace EdramFer.Analysis.Tests;

/// <summary>Re-measures the YuNet landmarks that <see cref="FaceRegions.Fer2013"/> was defined from.</summary>
public class RegionMeasurementTests
{
    [SharedDataFact("fer2013/test", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void Fer2013Regions_ContainTheMeanYuNetLandmarks()
    {
        const int canvas = 320, perClass = 30;
        using var detector = FaceDetectorYN.Create(SharedData.Path("face_detectors", "face_detection_yunet_2023mar.onnx"), "", new Size(canvas, canvas), 0.6f, 0.3f, 5000);
        using var clahe = Cv2.CreateCLAHE(2.0, new Size(8, 8));
        var sums = new double[10];
        var found = 0;
        foreach (var folder in Directory.GetDirectories(SharedData.Path("fer2013", "test")).Order(StringComparer.Ordinal))
            foreach (var file in Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(perClass))
            {
                // As the model sees it (--detector none): 48x48 → 100x100, CLAHE 2.0 / 8x8; YuNet on a 3.2x enlargement.
                using var grey = Cv2.ImRead(file, ImreadModes.Grayscale);
                using var crop = new Mat();
                Cv2.Resize(grey, crop, new Size(100, 100), 0, 0, InterpolationFlags.Area);
                using var equalised = new Mat();
                clahe.Apply(crop, equalised);
                using var big = new Mat();
                Cv2.Resize(equalised, big, new Size(canvas, canvas), 0, 0, InterpolationFlags.Linear);
                using var bgr = new Mat();
                Cv2.CvtColor(big, bgr, ColorConversionCodes.GRAY2BGR);
                using var faces = new Mat();
                detector.Detect(bgr, faces);
                var rows = faces.Rows;
                if (rows == 0) continue;
                var best = Enumerable.Range(0, rows).MaxBy(i => faces.At<float>(i, 2) * faces.At<float>(i, 3));
                for (var k = 0; k < 10; k++) sums[k] += faces.At<float>(best, 4 + k) * 100.0 / canvas;
                found++;
            }
        Assert.True(found > 150, $"YuNet found only {found} faces");
        var m = sums.Select(v => v / found).ToArray();
        var r = FaceRegions.Fer2013;
        bool Inside(PixelRect rect, double x, double y) => x > rect.X && x < rect.Right && y > rect.Y && y < rect.Bottom;
        Assert.True(Inside(r.Eyes, m[0], m[1]) && Inside(r.Eyes, m[2], m[3]), $"mean eyes ({m[0]:0.0},{m[1]:0.0}) ({m[2]:0.0},{m[3]:0.0}) not in {r.Eyes}");
        Assert.True(Inside(r.Mouth, m[6], m[7]) && Inside(r.Mouth, m[8], m[9]), $"mean mouth corners ({m[6]:0.0},{m[7]:0.0}) ({m[8]:0.0},{m[9]:0.0}) not in {r.Mouth}");
        Assert.False(Inside(r.Eyes, m[4], m[5]) || Inside(r.Mouth, m[4], m[5]), $"mean nose ({m[4]:0.0},{m[5]:0.0}) falls in eyes or mouth");
        // The documented means (FaceRegions.Fer2013), from 150 images per class, within 3 px.
        double[] documented = [32.0, 37.4, 67.6, 36.8, 49.5, 58.6, 35.8, 76.1, 65.3, 75.6];
        for (var k = 0; k < 10; k++) Assert.True(Math.Abs(m[k] - documented[k]) < 3, $"landmark value {k}: measured {m[k]:0.0}, documented {documented[k]}");
    }
}
