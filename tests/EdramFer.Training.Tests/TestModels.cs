using EdramFer.Training.Model;
using OpenCvSharp;

namespace EdramFer.Training.Tests;

/// <summary>Tiny configurations and synthetic datasets that keep the tests fast on 2 cores.</summary>
internal static class TestModels
{
    /// <summary>Same topology as the paper, a few channels wide.</summary>
    public static EdramConfig Tiny(int steps = 2, int classes = 3, float zoomLimit = 1f) => new()
    {
        Preset = "custom", Steps = steps, Classes = classes, ZoomLimit = zoomLimit,
        ContextChannels = [4, 4, 8], GlimpseChannels = [4, 4, 8, 8, 8, 8],
        FeatureSize = 16, ClassifierHidden = 16, LocaliserHidden = 16, MlpSize = 16,
    };

    /// <summary>
    /// Writes a folder-per-class dataset of 48x48 PNGs: class "bottom" has a bright blob in the lower half,
    /// class "top" in the upper half, on noise. Learnable in a few dozen steps.
    /// </summary>
    public static string WriteBlobDataset(string dir, int perClass, int seed = 7)
    {
        var rng = new Random(seed);
        foreach (var (name, top) in new[] { ("bottom", false), ("top", true) })
        {
            Directory.CreateDirectory(Path.Combine(dir, name));
            for (int i = 0; i < perClass; i++)
            {
                using var img = new Mat(48, 48, MatType.CV_8UC1);
                var noise = new byte[48 * 48];
                rng.NextBytes(noise);
                for (int k = 0; k < noise.Length; k++) noise[k] = (byte)(noise[k] / 4 + 40);
                img.SetArray(noise);
                int cx = 10 + rng.Next(28), cy = top ? 8 + rng.Next(10) : 30 + rng.Next(10);
                Cv2.Circle(img, new Point(cx, cy), 6, Scalar.All(230), -1);
                Cv2.ImWrite(Path.Combine(dir, name, $"{name}_{i:D3}.png"), img);
            }
        }
        return dir;
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edram-test-" + Guid.NewGuid().ToString("N")[..12]);
    public TempDir() => Directory.CreateDirectory(Path);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
