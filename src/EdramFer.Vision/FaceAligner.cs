using OpenCvSharp;

namespace EdramFer.Vision;

/// <summary>How a detected face is framed in the crop.</summary>
public enum FaceAlignment
{
    /// <summary>A square around the detector's box (<see cref="PreprocessOptions.Margin"/>), as it lies in the image.</summary>
    None,
    /// <summary>
    /// Where the detector gives landmarks (YuNet, dlib): rotated so the eye line is level, scaled and shifted so the eyes
    /// sit where they sit in FER2013's crops (<see cref="FaceAligner"/>); a box crop otherwise.
    /// </summary>
    Eyes,
}

/// <summary>
/// The eye-aligned crop: a similarity transform (rotation, uniform scale, shift) that puts the eye centres where the
/// mean FER2013 face has them — eye midpoint at (49.8 %, 37.1 %) of the crop, 35.6 % of its side apart
/// (docs/analysis.md, YuNet landmarks on PublicTest) — so a photo's face is framed as the training faces were.
/// </summary>
public static class FaceAligner
{
    /// <summary>The eye midpoint, as fractions of the crop's side.</summary>
    public const double EyeMidX = 0.498, EyeMidY = 0.371;
    /// <summary>The distance between the eye centres, as a fraction of the crop's side.</summary>
    public const double EyeDistance = 0.356;

    /// <summary>The part of the image an aligned crop shows: a square turned by the eye line's angle.</summary>
    public static SourceRegion Region(FivePoints points)
    {
        double ex = points.LeftEyeX - points.RightEyeX, ey = points.LeftEyeY - points.RightEyeY;
        var distance = Math.Sqrt(ex * ex + ey * ey);
        var side = distance / EyeDistance;
        double cos = ex / distance, sin = ey / distance;
        // The crop's centre: from the eye midpoint, back by the target offset of the midpoint, turned onto the face.
        double ox = (0.5 - EyeMidX) * side, oy = (0.5 - EyeMidY) * side;
        double cx = (points.RightEyeX + points.LeftEyeX) / 2 + cos * ox - sin * oy, cy = (points.RightEyeY + points.LeftEyeY) / 2 + sin * ox + cos * oy;
        return new SourceRegion((int)Math.Round(cx - side / 2), (int)Math.Round(cy - side / 2), (int)Math.Round(side), (int)Math.Round(side))
        { Angle = Math.Atan2(ey, ex) };
    }

    /// <summary>
    /// The aligned grey crop (<paramref name="size"/>², row-major) of an 8-bit grey, BGR or BGRA image. Large faces are
    /// halved with pyrDown first, so the final bilinear warp never shrinks by more than 2 (no aliasing); the crop's
    /// parts outside the image repeat the border, as a box crop never leaves the image either.
    /// </summary>
    public static byte[] AlignedGrey(Mat image, FivePoints points, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        double ex = points.LeftEyeX - points.RightEyeX, ey = points.LeftEyeY - points.RightEyeY;
        var distance = Math.Sqrt(ex * ex + ey * ey);
        if (!(distance >= 1)) throw new ArgumentException($"eye centres {distance:0.##} px apart: too close to align", nameof(points));
        using var grey = Grey(image);
        var scale = EyeDistance * size / distance;                     // output px per source px
        double cx = (points.RightEyeX + points.LeftEyeX) / 2, cy = (points.RightEyeY + points.LeftEyeY) / 2;
        // Work on the region the crop can reach (its circumscribed square), halved until the warp shrinks by ≤ 2.
        var reach = size / scale * 1.5;
        var region = new Rect((int)Math.Floor(cx - reach), (int)Math.Floor(cy - reach), (int)Math.Ceiling(2 * reach), (int)Math.Ceiling(2 * reach))
            .Intersect(new Rect(0, 0, grey.Width, grey.Height));
        if (region.Width < 1 || region.Height < 1) throw new ArgumentException("the eyes lie outside the image", nameof(points));
        var work = grey[region].Clone();
        double factor = 1;
        var (width, height) = (work.Width, work.Height);
        while (scale / factor < 0.5 && width > 2 && height > 2)
        {
            var half = new Mat();
            Cv2.PyrDown(work, half);
            work.Dispose();
            work = half;
            (width, height) = (work.Width, work.Height);
            factor /= 2;
        }
        using (work)
        {
            double s = scale / factor, mx = (cx - region.X) * factor, my = (cy - region.Y) * factor;
            double cos = ex / distance, sin = ey / distance, tx = EyeMidX * size, ty = EyeMidY * size;
            // Output → source: src = mid + R(angle)·(out − target)/s, with R rotating the level eye line onto the face's.
            using var map = new Mat(2, 3, MatType.CV_64FC1);
            map.Set(0, 0, cos / s); map.Set(0, 1, -sin / s); map.Set(0, 2, mx - (cos * tx - sin * ty) / s);
            map.Set(1, 0, sin / s); map.Set(1, 1, cos / s); map.Set(1, 2, my - (sin * tx + cos * ty) / s);
            using var output = new Mat();
            Cv2.WarpAffine(work, output, map, new Size(size, size), InterpolationFlags.Linear | InterpolationFlags.WarpInverseMap, BorderTypes.Replicate);
            output.GetArray(out byte[] bytes);
            return bytes;
        }
    }

    private static Mat Grey(Mat image)
    {
        var grey = new Mat();
        switch (image.Channels())
        {
            case 1: image.CopyTo(grey); break;
            case 3: Cv2.CvtColor(image, grey, ColorConversionCodes.BGR2GRAY); break;
            case 4: Cv2.CvtColor(image, grey, ColorConversionCodes.BGRA2GRAY); break;
            default: throw new ArgumentException($"expected 1, 3 or 4 channels, got {image.Channels()}");
        }
        return grey;
    }
}
