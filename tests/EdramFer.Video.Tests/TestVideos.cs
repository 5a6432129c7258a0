using EdramFer.Tests.Shared;
using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Video.Tests;

/// <summary>
/// Test videos written with OpenCV's VideoWriter from real face photos (muxspace, never copied into the repository):
/// known frame count, frame rate and face per frame. Built once per test run in a temp folder.
/// </summary>
public static class TestVideos
{
    public const int Width = 640, Height = 480, Fps = 30, FaceSide = 160;

    /// <summary>The shipped model.</summary>
    public static string Model => Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");

    /// <summary>The model's own preprocessing (its metadata says Haar) with this machine's cascade.</summary>
    public static PreprocessOptions Preprocess => ML.EdramModelInfo.Read(Model).Preprocess;

    private static readonly Lazy<string> FolderLazy = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "edramfer-video-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } // best effort
        };
        return dir;
    });

    /// <summary>A new empty folder under the run's temp folder.</summary>
    public static string TempFolder(string name)
    {
        var dir = Path.Combine(FolderLazy.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    // Positions of the acceptance video: face 1 top-left moving right 8 px a frame, face 2 bottom-right, face 3 top-right.
    // No two segments overlap, so each is its own track even though the earlier tracks are still within their gap.
    public static Rect FaceOne(int frame) => new(20 + 8 * frame, 20, FaceSide, FaceSide);
    public static readonly Rect FaceTwo = new(440, 300, FaceSide, FaceSide);
    public static readonly Rect FaceThree = new(440, 20, FaceSide, FaceSide);

    private static readonly Lazy<(string Path, string[] Photos)> AcceptanceLazy = new(() =>
    {
        var photos = DetectablePhotos(3);
        var path = Path.Combine(FolderLazy.Value, "acceptance.mp4");
        Write(path, 30, i => i switch
        {
            < 10 => [(photos[0], FaceOne(i))],
            < 20 => [(photos[1], FaceTwo)],
            20 => [],
            _ => [(photos[2], FaceThree)],
        });
        return (path, photos);
    });

    /// <summary>
    /// 30 frames at 30 fps, 640x480: frames 0–9 one face moving, 10–19 a cut to another face, 20 no face, 21–29 a third face.
    /// </summary>
    public static string Acceptance => AcceptanceLazy.Value.Path;

    private static readonly Lazy<string> LongLazy = new(() =>
    {
        var photo = DetectablePhotos(1)[0];
        var path = Path.Combine(FolderLazy.Value, "long.mp4");
        Write(path, 300, i => [(photo, new Rect(100 + (i % 40) * 4, 100, FaceSide, FaceSide))]);
        return path;
    });

    /// <summary>300 frames (10 s) of one face swaying left and right: long enough to be interrupted mid-run.</summary>
    public static string Long => LongLazy.Value;

    /// <summary>Writes an MPEG-4 video whose frame i shows the given photos at the given places on a grey background.</summary>
    public static void Write(string path, int frames, Func<int, (string Photo, Rect Place)[]> content, int fps = Fps)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("mp4v"), fps, new Size(Width, Height));
        Assert.True(writer.IsOpened(), $"OpenCV could not open {path} for writing");
        for (var i = 0; i < frames; i++)
        {
            using var frame = Compose(content(i));
            writer.Write(frame);
        }
    }

    /// <summary>A grey 640x480 frame with each photo resized into its place.</summary>
    public static Mat Compose(IEnumerable<(string Photo, Rect Place)> faces)
    {
        var frame = new Mat(new Size(Width, Height), MatType.CV_8UC3, new Scalar(128, 128, 128));
        foreach (var (photo, place) in faces)
        {
            using var image = Cv2.ImRead(photo, ImreadModes.Color);
            using var roi = new Mat(frame, place);
            Cv2.Resize(image, roi, place.Size, 0, 0, InterpolationFlags.Area);
        }
        return frame;
    }

    /// <summary>
    /// The first <paramref name="count"/> muxspace photos (by name) in which the model's detector chain finds exactly one face
    /// when composed into a frame at every place the fixtures use: the videos then have a known face per frame.
    /// </summary>
    public static string[] DetectablePhotos(int count)
    {
        using var detector = new FaceDetectionChain(Preprocess);
        Rect[] places = [FaceOne(0), FaceOne(9), FaceTwo, FaceThree, new(100, 100, FaceSide, FaceSide), new(256, 100, FaceSide, FaceSide)];
        return Directory.GetFiles(SharedData.Path("muxspace_facial_expressions", "images"), "*.jpg").Order(StringComparer.Ordinal)
            .Where(photo => places.All(place =>
            {
                using var frame = Compose([(photo, place)]);
                return detector.Detect(frame, 8).Faces.Count == 1;
            }))
            .Take(count).ToArray();
    }
}
