using System.Runtime.InteropServices;
using EdramFer.Tests.Shared;
using OpenCvSharp;

namespace EdramFer.Vision.Tests;

/// <summary>Every face of a picture (issue 13 item 5), on a group photo with hand-annotated boxes (<see cref="GroupPhoto"/>).</summary>
public sealed class MultiFaceTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [SharedDataFact(GroupPhoto.Source)]
    public void ProcessFileFaces_GroupPhoto_OneCropPerFaceLargestFirstOverlappingTheAnnotatedFaces()
    {
        var photo = GroupPhoto.Write(Path.Combine(_dir.Path, "group.png"));
        using var pre = new FacePreprocessor(new PreprocessOptions()); // the default chain, shipped YuNet

        var faces = pre.ProcessFileFaces(photo, maxFaces: 10);

        Assert.Equal(GroupPhoto.Faces.Length, faces.Count);
        for (var i = 0; i < faces.Count; i++)
        {
            var r = faces[i];
            Assert.Equal(PreprocessStatus.Ok, r.Status);
            Assert.Equal(i, r.FaceIndex);
            Assert.Equal(GroupPhoto.Faces.Length, r.FaceCount);
            Assert.Equal(100 * 100, r.Pixels!.Length);
            var box = new Rect(r.Face!.Value.X, r.Face.Value.Y, r.Face.Value.Width, r.Face.Value.Height);
            // Largest first, and the i-th largest is the i-th annotated face.
            Assert.True(GroupPhoto.IoU(box, GroupPhoto.Faces[i]) >= 0.5, $"face {i}: {box} vs annotated {GroupPhoto.Faces[i]}, IoU {GroupPhoto.IoU(box, GroupPhoto.Faces[i]):F2}");
            if (i > 0) Assert.True((long)box.Width * box.Height <= (long)faces[i - 1].Face!.Value.Width * faces[i - 1].Face!.Value.Height);
        }
        // The single-face path is the first of these.
        var largest = pre.ProcessFile(photo);
        Assert.Equal(faces[0].Pixels, largest.Pixels);
        Assert.Equal(faces[0].Face, largest.Face);
        Assert.Equal(4, largest.FaceCount);
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void ProcessFileFaces_GroupInALargePicture_ALargerDetectorInputSizeFindsTheSmallFaces()
    {
        // The group photo in the middle of a 3360x1800 picture: at YuNet's default 320 px its faces are 8-16 px wide.
        var offset = new Point(1200, 700);
        using (var group = Cv2.ImRead(GroupPhoto.Write(Path.Combine(_dir.Path, "group.png"))))
        using (var large = new Mat(1800, 3360, MatType.CV_8UC3, Scalar.All(128)))
        {
            using (var target = new Mat(large, new Rect(offset, group.Size()))) group.CopyTo(target);
            Cv2.ImWrite(Path.Combine(_dir.Path, "large.png"), large);
        }
        var photo = Path.Combine(_dir.Path, "large.png");
        using var small = new FacePreprocessor(new PreprocessOptions());
        using var wide = new FacePreprocessor(new PreprocessOptions { DetectorInputSize = 1280 });

        Assert.True(small.ProcessFileFaces(photo, 10).Count(r => r.FaceFound) < GroupPhoto.Faces.Length);
        var faces = wide.ProcessFileFaces(photo, 10);
        Assert.Equal(GroupPhoto.Faces.Length, faces.Count);
        for (var i = 0; i < faces.Count; i++)
        {
            var box = new Rect(faces[i].Face!.Value.X - offset.X, faces[i].Face!.Value.Y - offset.Y, faces[i].Face!.Value.Width, faces[i].Face!.Value.Height);
            Assert.True(GroupPhoto.IoU(box, GroupPhoto.Faces[i]) >= 0.5, $"face {i}: {box} vs annotated {GroupPhoto.Faces[i]}");
        }
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void ProcessPixelsFaces_GroupPhotoPixels_TheFacesOfTheFile()
    {
        var photo = GroupPhoto.Write(Path.Combine(_dir.Path, "group.png"));
        using var pre = new FacePreprocessor(new PreprocessOptions());
        using var bgr = Cv2.ImRead(photo);
        bgr.GetArray(out Vec3b[] packed);
        var pixels = MemoryMarshal.AsBytes(packed.AsSpan()).ToArray(); // interleaved BGR, as ML.NET's ExtractPixels gives

        var faces = pre.ProcessPixelsFaces(pixels, bgr.Width, bgr.Height, 3, maxFaces: 10);

        var fromFile = pre.ProcessFileFaces(photo, 10);
        Assert.Equal(fromFile.Select(r => (r.Face, r.FaceIndex, r.FaceCount)), faces.Select(r => (r.Face, r.FaceIndex, r.FaceCount)));
        Assert.Equal(fromFile.Select(r => r.Pixels), faces.Select(r => r.Pixels));
        Assert.Equal(faces[0].Pixels, pre.ProcessPixels(pixels, bgr.Width, bgr.Height, 3).Pixels);
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void ProcessFileFaces_MaxFaces_KeepsTheLargestButCountsAll()
    {
        var photo = GroupPhoto.Write(Path.Combine(_dir.Path, "group.png"));
        using var pre = new FacePreprocessor(new PreprocessOptions());

        var two = pre.ProcessFileFaces(photo, maxFaces: 2);

        Assert.Equal(2, two.Count);
        Assert.All(two, r => Assert.Equal(4, r.FaceCount));
        Assert.Equal(pre.ProcessFileFaces(photo, 10).Take(2).Select(r => r.Face), two.Select(r => r.Face));
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void YuNetFaces_CarryFivePointsInsideTheBox_InFacialOrder()
    {
        var photo = GroupPhoto.Write(Path.Combine(_dir.Path, "group.png"));
        using var pre = new FacePreprocessor(new PreprocessOptions());

        foreach (var face in pre.ProcessFileFaces(photo, 10).Select(r => r.Face!.Value))
        {
            var p = face.Landmarks ?? throw new Xunit.Sdk.XunitException($"no landmarks on {face}");
            foreach (var (x, y) in new[] { (p.RightEyeX, p.RightEyeY), (p.LeftEyeX, p.LeftEyeY), (p.NoseX, p.NoseY), (p.MouthRightX, p.MouthRightY), (p.MouthLeftX, p.MouthLeftY) })
            {
                Assert.InRange(x, face.X, face.X + face.Width);
                Assert.InRange(y, face.Y, face.Y + face.Height);
            }
            // Upright faces: eyes above the nose above the mouth; the person's right eye and mouth corner on the image's left.
            Assert.True(Math.Max(p.RightEyeY, p.LeftEyeY) < p.NoseY && p.NoseY < Math.Min(p.MouthRightY, p.MouthLeftY), $"{p}");
            Assert.True(p.RightEyeX < p.LeftEyeX && p.MouthRightX < p.MouthLeftX, $"{p}");
        }
    }

    [Fact]
    public void ProcessFileFaces_NoFaceOrBadFile_OneResult()
    {
        var path = Path.Combine(_dir.Path, "flat.png");
        using (var flat = new Mat(120, 160, MatType.CV_8UC1, Scalar.All(100))) Cv2.ImWrite(path, flat);
        using var pre = new FacePreprocessor(new PreprocessOptions());

        var none = Assert.Single(pre.ProcessFileFaces(path, 5));
        Assert.Equal(PreprocessStatus.NoFace, none.Status);
        var missing = Assert.Single(pre.ProcessFileFaces(Path.Combine(_dir.Path, "missing.png"), 5));
        Assert.Equal(PreprocessStatus.FileNotFound, missing.Status);
        Assert.Throws<ArgumentOutOfRangeException>(() => pre.ProcessFileFaces(path, 0));
    }
}
