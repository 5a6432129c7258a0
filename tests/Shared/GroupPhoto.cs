using OpenCvSharp;

namespace EdramFer.Tests.Shared;

/// <summary>
/// A group photo for multi-face tests: four real muxspace face photos of different sizes composed on one grey 840x300
/// canvas (the research data stays in ../shared; the composition is rebuilt by each test run). <see cref="Faces"/> are
/// the face boxes annotated once by hand on the composed picture (brows/forehead to chin, cheek to cheek), largest first.
/// </summary>
public static class GroupPhoto
{
    static readonly (string Photo, Rect Place)[] Tiles =
    [
        ("Aaron_Guiel_0001.jpg", new Rect(30, 60, 200, 200)),
        ("Adam_Rich_0001.jpg", new Rect(280, 40, 160, 160)),
        ("Abdullah_0004.jpg", new Rect(490, 120, 130, 130)),
        ("Abdel_Aziz_Al-Hakim_0001.jpg", new Rect(680, 70, 110, 110)),
    ];

    /// <summary>Hand-annotated face boxes (x, y, width, height) in canvas pixels, largest first.</summary>
    public static readonly Rect[] Faces =
    [
        new(45, 80, 170, 180),
        new(300, 60, 125, 130),
        new(520, 140, 90, 105),
        new(690, 80, 85, 95),
    ];

    /// <summary>The shared-data folder the photos come from, for skip attributes.</summary>
    public const string Source = "muxspace_facial_expressions/images";

    /// <summary>Writes the composed picture as PNG to <paramref name="path"/> and returns the path.</summary>
    public static string Write(string path)
    {
        using var canvas = new Mat(300, 840, MatType.CV_8UC3, Scalar.All(128));
        foreach (var (photo, place) in Tiles)
        {
            using var source = Cv2.ImRead(SharedData.Path("muxspace_facial_expressions", "images", photo));
            using var resized = new Mat();
            Cv2.Resize(source, resized, place.Size, 0, 0, InterpolationFlags.Area);
            using var target = new Mat(canvas, place);
            resized.CopyTo(target);
        }
        if (!Cv2.ImWrite(path, canvas)) throw new IOException($"could not write {path}");
        return path;
    }

    /// <summary>Intersection over union of two boxes.</summary>
    public static double IoU(Rect a, Rect b)
    {
        var i = a & b;
        double inter = (double)i.Width * i.Height;
        return inter / ((double)a.Width * a.Height + (double)b.Width * b.Height - inter);
    }
}
