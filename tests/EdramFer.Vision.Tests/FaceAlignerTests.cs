using EdramFer.Vision;
using OpenCvSharp;

namespace EdramFer.Vision.Tests;

/// <summary>The eye-aligned crop puts the eyes where FER2013's mean face has them, whatever the face's size and tilt.</summary>
public class FaceAlignerTests
{
    /// <summary>A dark image with two bright discs at the eyes of a face tilted by <paramref name="degrees"/>.</summary>
    private static (Mat Image, FivePoints Points) TiltedEyes(double degrees, double distance)
    {
        var image = new Mat(900, 1200, MatType.CV_8UC3, Scalar.All(20));
        double a = degrees * Math.PI / 180, cx = 610, cy = 430;
        var right = new Point2d(cx - Math.Cos(a) * distance / 2, cy - Math.Sin(a) * distance / 2);
        var left = new Point2d(cx + Math.Cos(a) * distance / 2, cy + Math.Sin(a) * distance / 2);
        foreach (var p in new[] { right, left }) Cv2.Circle(image, (Point)p, (int)(distance / 12), Scalar.All(255), -1, LineTypes.AntiAlias);
        return (image, new FivePoints((float)right.X, (float)right.Y, (float)left.X, (float)left.Y, (float)cx, (float)(cy + distance * 0.6),
            (float)(cx - distance * 0.4), (float)(cy + distance), (float)(cx + distance * 0.4), (float)(cy + distance)));
    }

    /// <summary>Brightness-weighted centre of the crop's left or right half.</summary>
    private static (double X, double Y) Spot(byte[] crop, int size, bool leftHalf)
    {
        double sx = 0, sy = 0, sw = 0;
        for (var y = 0; y < size; y++)
            for (var x = leftHalf ? 0 : size / 2; x < (leftHalf ? size / 2 : size); x++)
            {
                var w = Math.Max(0, crop[y * size + x] - 60);
                (sx, sy, sw) = (sx + w * (x + 0.5), sy + w * (y + 0.5), sw + w);
            }
        return (sx / sw, sy / sw);
    }

    [Theory]
    [InlineData(0, 60)]
    [InlineData(25, 300)]   // a large face: pyrDown before the warp
    [InlineData(-15, 120)]
    public void AlignedGrey_TiltedFace_EyesLandOnTheirTargets(double degrees, double distance)
    {
        var (image, points) = TiltedEyes(degrees, distance);
        using (image)
        {
            var crop = FaceAligner.AlignedGrey(image, points, 100);
            var (rx, ry) = Spot(crop, 100, leftHalf: true);
            var (lx, ly) = Spot(crop, 100, leftHalf: false);
            var half = FaceAligner.EyeDistance * 100 / 2;
            Assert.InRange(rx, FaceAligner.EyeMidX * 100 - half - 1, FaceAligner.EyeMidX * 100 - half + 1);
            Assert.InRange(lx, FaceAligner.EyeMidX * 100 + half - 1, FaceAligner.EyeMidX * 100 + half + 1);
            Assert.InRange(ry, FaceAligner.EyeMidY * 100 - 1, FaceAligner.EyeMidY * 100 + 1); // level eye line
            Assert.InRange(ly, FaceAligner.EyeMidY * 100 - 1, FaceAligner.EyeMidY * 100 + 1);
        }
    }

    [Fact]
    public void Region_MapsTheCropsEyeTargetsBackOntoTheEyes()
    {
        var (image, p) = TiltedEyes(20, 200);
        image.Dispose();
        var region = FaceAligner.Region(p);
        var half = FaceAligner.EyeDistance / 2;
        var (rx, ry) = region.ToImage(FaceAligner.EyeMidX - half, FaceAligner.EyeMidY);
        var (lx, ly) = region.ToImage(FaceAligner.EyeMidX + half, FaceAligner.EyeMidY);
        Assert.True(Math.Abs(rx - p.RightEyeX) < 1.5 && Math.Abs(ry - p.RightEyeY) < 1.5, $"right eye ({rx:0.0}, {ry:0.0}) vs ({p.RightEyeX:0.0}, {p.RightEyeY:0.0})");
        Assert.True(Math.Abs(lx - p.LeftEyeX) < 1.5 && Math.Abs(ly - p.LeftEyeY) < 1.5, $"left eye ({lx:0.0}, {ly:0.0}) vs ({p.LeftEyeX:0.0}, {p.LeftEyeY:0.0})");
        Assert.Equal(20, region.Angle * 180 / Math.PI, 3);
    }
}
