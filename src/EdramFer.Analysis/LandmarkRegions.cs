using EdramFer.ML;
namespace EdramFer.Analysis;

/// <summary>
/// Per-image <see cref="FaceRegions"/> from five landmarks, with the proportions of <see cref="FaceRegions.Fer2013"/>
/// expressed in inter-eye distances d (35.6 px on the FER2013 crop), so the regions follow the face in detector crops
/// of real photos: eyes band = eye centres ± d/2 sideways, eye line ± d/3 (brows included); mouth box = corners
/// ± 0.22·d sideways, corner line −0.28·d … +0.34·d (room for an open mouth); face = the landmark face box clipped to
/// the crop and grown to hold eyes and mouth. Where the bands would overlap (a very tilted or tiny face) they are split
/// at the midpoint between eye line and mouth line.
/// </summary>
public static class LandmarkRegions
{
    /// <summary>Half-width margin beyond each eye centre, in inter-eye distances.</summary>
    public const double EyeSide = 0.5;
    /// <summary>Half-height of the eyes band, in inter-eye distances.</summary>
    public const double EyeHalfHeight = 1.0 / 3;
    /// <summary>Margin beyond each mouth corner, in inter-eye distances.</summary>
    public const double MouthSide = 0.22;
    /// <summary>Mouth box above the corner line, in inter-eye distances.</summary>
    public const double MouthAbove = 0.28;
    /// <summary>Mouth box below the corner line, in inter-eye distances.</summary>
    public const double MouthBelow = 0.34;

    /// <summary>The regions of one crop of side <paramref name="size"/>, or null when the landmarks are degenerate (eyes closer than 2 px).</summary>
    public static FaceRegions? From(FaceLandmarks lm, int size)
    {
        ArgumentNullException.ThrowIfNull(lm);
        double dx = lm.LeftEye.X - lm.RightEye.X, dy = lm.LeftEye.Y - lm.RightEye.Y;
        var d = Math.Sqrt(dx * dx + dy * dy);
        if (!(d >= 2)) return null;
        var crop = new PixelRect(0, 0, size, size);
        var eyeLine = (lm.LeftEye.Y + lm.RightEye.Y) / 2;
        var mouthLine = (lm.LeftMouth.Y + lm.RightMouth.Y) / 2;
        double eyeTop = Math.Min(lm.LeftEye.Y, lm.RightEye.Y) - EyeHalfHeight * d, eyeBottom = Math.Max(lm.LeftEye.Y, lm.RightEye.Y) + EyeHalfHeight * d;
        double mouthTop = Math.Min(lm.LeftMouth.Y, lm.RightMouth.Y) - MouthAbove * d, mouthBottom = Math.Max(lm.LeftMouth.Y, lm.RightMouth.Y) + MouthBelow * d;
        if (eyeBottom > mouthTop)
        {
            if (!(mouthLine > eyeLine)) return null; // mouth not below the eyes: not a usable upright face
            eyeBottom = mouthTop = (eyeLine + mouthLine) / 2;
        }
        var eyes = Span(Math.Min(lm.LeftEye.X, lm.RightEye.X) - EyeSide * d, Math.Max(lm.LeftEye.X, lm.RightEye.X) + EyeSide * d, eyeTop, eyeBottom).Intersect(crop);
        var mouth = Span(Math.Min(lm.LeftMouth.X, lm.RightMouth.X) - MouthSide * d, Math.Max(lm.LeftMouth.X, lm.RightMouth.X) + MouthSide * d, mouthTop, mouthBottom).Intersect(crop);
        var face = Union(Union(lm.Face.Intersect(crop), eyes), mouth).Intersect(crop);
        var regions = new FaceRegions(size, eyes, mouth, face);
        regions.Validate();
        return regions;
    }

    /// <summary>The regions of one crop from <paramref name="provider"/>'s landmarks; null without a provider, face or usable landmarks.</summary>
    public static FaceRegions? Locate(IFaceLandmarkProvider? provider, ReadOnlySpan<byte> pixels, int size) =>
        provider?.Locate(pixels, size) is { } lm ? From(lm, size) : null;

    private static PixelRect Span(double x0, double x1, double y0, double y1) => new(x0, y0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0));

    private static PixelRect Union(PixelRect a, PixelRect b)
    {
        if (a.Area <= 0) return b;
        if (b.Area <= 0) return a;
        double x0 = Math.Min(a.X, b.X), y0 = Math.Min(a.Y, b.Y);
        return new PixelRect(x0, y0, Math.Max(a.Right, b.Right) - x0, Math.Max(a.Bottom, b.Bottom) - y0);
    }
}
