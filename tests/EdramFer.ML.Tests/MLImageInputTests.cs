using System.Globalization;
using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using OpenCvSharp;

namespace EdramFer.ML.Tests;

/// <summary>The crop transforms given an ML.NET image column (LoadImages, ResizeImages, in-memory MLImage) instead of paths.</summary>
public class MLImageInputTests
{
    private readonly MLContext _ml = new(seed: 0);

    // Haar misses some of these faces: the centre-crop fallback gives every row pixels to compare.
    private static PreprocessOptions Haar => new() { Detectors = [DetectorKind.Haar], NoFacePolicy = NoFacePolicy.CentreCrop };

    private IDataView Paths(IEnumerable<string> paths) =>
        _ml.Data.LoadFromEnumerable(paths.Select(p => new PreprocessTransformTests.PathRow { Path = p }).ToList());

    private List<PreprocessTransformTests.CropRow> Crops(IEstimator<ITransformer> pipeline, IReadOnlyList<string> paths) =>
        _ml.Data.CreateEnumerable<PreprocessTransformTests.CropRow>(pipeline.Fit(Paths(paths)).Transform(Paths(paths)), reuseRowObject: false).ToList();

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void LoadImagesColumn_Jpeg_SameFacesAsPathColumn()
    {
        // LoadImages gives images of unknown size: they are letterboxed onto the 640 canvas (bars trimmed again), and
        // SkiaSharp decodes JPEG slightly differently from OpenCV. Same detections, nearly the same crops.
        var paths = TestModels.Muxspace(12);
        var fromImage = Crops(_ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "Path")
            .Append(_ml.Transforms.PreprocessFace("Face", "Image", Haar)), paths);
        var fromPath = Crops(_ml.Transforms.PreprocessFace("Face", "Path", Haar), paths);
        Assert.Equal(paths.Count, fromImage.Count);
        Assert.True(fromImage.Zip(fromPath).Count(p => p.First.FaceFound == p.Second.FaceFound) >= paths.Count - 1,
            "Haar's verdict changed on more than one image between the two routes");
        var both = fromImage.Zip(fromPath).Where(p => p.First.FaceFound && p.Second.FaceFound).ToList();
        Assert.True(both.Count >= 6, $"only {both.Count} faces found by both routes");
        var meanAbs = both.Select(p => p.First.Face.Zip(p.Second.Face, (x, y) => Math.Abs(x - y)).Average()).ToList();
        Assert.True(meanAbs.Average() < 6, $"mean |crop difference| {meanAbs.Average():F2} grey levels");
        Assert.All(fromImage, r => Assert.Equal(10_000, r.Face.Length));
    }

    [Fact]
    public void LoadImagesColumn_NonSquarePng_LetterboxBarsTrimmed()
    {
        // A 300x180 colour gradient, no face: the whole-image crop must not contain the letterbox bars.
        var dir = TestModels.TempFolder("letterbox");
        var png = Path.Combine(dir, "wide.png");
        using (var image = new Mat(180, 300, MatType.CV_8UC3))
        {
            image.SetTo(Scalar.All(0));
            for (var y = 0; y < 180; y++)
            for (var x = 0; x < 300; x++)
                image.Set(y, x, new Vec3b((byte)(60 + x / 2), (byte)(40 + y), 150));
            Assert.True(Cv2.ImWrite(png, image));
        }
        var options = new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage, ClaheClipLimit = 0 };
        var got = Crops(_ml.Transforms.LoadImages("Image", null, "Path").Append(_ml.Transforms.PreprocessFace("Face", "Image", options)), [png]).Single();
        using var vision = new FacePreprocessor(options);
        var expected = vision.ProcessFile(png).Pixels!;
        Assert.Equal(nameof(PreprocessStatus.Ok), got.PreprocessStatus);
        Assert.True(got.Face.Min() >= 40, "black letterbox bars reached the crop");
        Assert.InRange(got.Face.Zip(expected, (x, y) => Math.Abs(x - y)).Average(), 0, 2.0);
    }

    [Fact]
    public void BadFile_LoadImagesAbortsTheView_PathColumnKeepsEveryRow()
    {
        // Documents why docs/mlnet.md recommends the path column: ML.NET's own loader throws on a bad file.
        var dir = TestModels.TempFolder("badfile");
        var png = Path.Combine(dir, "grey.png");
        using (var image = new Mat(50, 60, MatType.CV_8UC3, Scalar.All(90))) Assert.True(Cv2.ImWrite(png, image));
        var corrupt = Path.Combine(dir, "corrupt.jpg");
        File.WriteAllText(corrupt, "not an image");
        var options = new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage };
        foreach (var bad in new[] { Path.Combine(dir, "missing.jpg"), corrupt })
        {
            Assert.ThrowsAny<InvalidOperationException>(() =>
                Crops(_ml.Transforms.LoadImages("Image", null, "Path").Append(_ml.Transforms.PreprocessFace("Face", "Image", options)), [png, bad, png]));
            var rows = Crops(_ml.Transforms.PreprocessFace("Face", "Path", options), [png, bad, png]);
            Assert.Equal(3, rows.Count);
            Assert.Equal("", rows[0].Error);
            Assert.Contains(Path.GetFileName(bad), rows[1].Error);
            Assert.Equal(10_000, rows[2].Face.Length);
        }
    }

    [Fact]
    public void Letterbox_Content_FindsOnlySymmetricBlackBars()
    {
        static byte[] Canvas(int w, int h, Func<int, int, bool> black)
        {
            var p = new byte[3 * w * h];
            for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                if (!black(x, y)) p[3 * (y * w + x)] = 7;
            return p;
        }
        Assert.Equal((0, 10, 40, 20), Letterbox.Content(Canvas(40, 40, (_, y) => y < 10 || y >= 30), 40, 40));
        Assert.Equal((5, 0, 29, 40), Letterbox.Content(Canvas(40, 40, (x, _) => x < 5 || x >= 34), 40, 40));
        Assert.Equal((0, 0, 40, 40), Letterbox.Content(Canvas(40, 40, (_, y) => y < 10), 40, 40)); // one-sided: a dark picture
        Assert.Equal((0, 0, 40, 40), Letterbox.Content(Canvas(40, 40, (x, y) => y < 3 || y >= 37 || x < 3 || x >= 37), 40, 40)); // a frame
        Assert.Equal((0, 0, 0, 0), Letterbox.Content(new byte[3 * 40 * 40], 40, 40));
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void ResizedImageColumn_KnownSize_EqualsVisionOnSamePixels()
    {
        var paths = TestModels.Muxspace(4);
        var resize = _ml.Transforms.LoadImages("Image", null, "Path").Append(_ml.Transforms.ResizeImages("Small", 240, 320, "Image"));
        var view = resize.Append(_ml.Transforms.DetectAndCropFace("Face", "Small", Haar)).Fit(Paths(paths)).Transform(Paths(paths));
        Assert.Equal("Image<320, 240>", view.Schema["Small"].Type.ToString());
        using var vision = new FacePreprocessor(Haar with { ClaheClipLimit = 0 });
        using var cursor = view.GetRowCursor(view.Schema);
        var image = cursor.GetGetter<MLImage>(view.Schema["Small"]); // valid only while the cursor is on the row
        var face = cursor.GetGetter<VBuffer<byte>>(view.Schema["Face"]);
        var rows = 0;
        for (; cursor.MoveNext(); rows++)
        {
            MLImage? small = null;
            VBuffer<byte> crop = default;
            image(ref small);
            face(ref crop);
            Assert.Equal(MLPixelFormat.Bgra32, small!.PixelFormat);
            Assert.Equal(vision.ProcessPixels(small.Pixels, 240, 320, 4).Pixels, crop.DenseValues().ToArray());
        }
        Assert.Equal(paths.Count, rows);
    }

    private sealed class InMemoryRow
    {
        [ImageType(40, 30)] public MLImage? Image { get; set; }
    }

    [Fact]
    public void InMemoryImages_BothPixelOrdersCropped_NullRowGetsStatus()
    {
        // A grey ramp, 30 wide and 40 high, in both pixel orders ML.NET uses.
        var bgra = new byte[30 * 40 * 4];
        for (var p = 0; p < 30 * 40; p++) { bgra[4 * p] = (byte)(p % 256); bgra[4 * p + 1] = (byte)(p / 5 % 256); bgra[4 * p + 2] = 200; bgra[4 * p + 3] = 255; }
        var rgba = (byte[])bgra.Clone();
        for (var p = 0; p < rgba.Length; p += 4) (rgba[p], rgba[p + 2]) = (rgba[p + 2], rgba[p]);
        var rows = new[]
        {
            new InMemoryRow { Image = MLImage.CreateFromPixels(30, 40, MLPixelFormat.Bgra32, bgra) },
            new InMemoryRow { Image = null },
            new InMemoryRow { Image = MLImage.CreateFromPixels(30, 40, MLPixelFormat.Rgba32, rgba) },
        };
        var data = _ml.Data.LoadFromEnumerable(rows);
        var options = new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage };
        var got = _ml.Data.CreateEnumerable<PreprocessTransformTests.CropRow>(_ml.Transforms.PreprocessFace("Face", "Image", options).Fit(data).Transform(data), false).ToList();
        using var vision = new FacePreprocessor(options);
        var expected = vision.ProcessPixels(bgra, 30, 40, 4).Pixels;
        Assert.Equal(expected, got[0].Face);
        Assert.Equal(expected, got[2].Face);
        Assert.Equal(nameof(PreprocessStatus.ZeroSize), got[1].PreprocessStatus); // ML.NET reads a null image as black
        Assert.Empty(got[1].Face);
        Assert.Contains("entirely black", got[1].Error);
        Assert.Equal("", got[0].Error);
    }

    [SharedDataFact("fer2013/test")]
    public void LoadImagesPipeline_SaveLoad_FreshProcess_SameScores()
    {
        var paths = TestModels.FerTest(2).Select(r => r.Path).ToList();
        var pipeline = _ml.Transforms.LoadImages("Image", null, "Path")
            .Append(_ml.Transforms.PreprocessFace("Face", "Image", new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage }))
            .Append(_ml.Transforms.ApplyEdram(TestModels.Small));
        var model = pipeline.Fit(Paths(paths));
        var scores = model.Transform(Paths(paths)).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        var dir = TestModels.TempFolder("mlimage-fresh");
        var zip = Path.Combine(dir, "pipeline.zip");
        _ml.Model.Save(model, Paths(paths).Schema, zip);

        var reloaded = new MLContext(seed: 5).Model.LoadEdram(zip);
        Assert.Equal(scores, reloaded.Transform(Paths(paths)).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()));

        var pathsFile = Path.Combine(dir, "paths.txt");
        File.WriteAllLines(pathsFile, paths);
        var output = Path.Combine(dir, "out.tsv");
        ApplyEdramTests.RunLoadCheck(zip, "Path", pathsFile, output);
        var lines = File.ReadAllLines(output);
        Assert.Equal(paths.Count, lines.Length);
        for (var i = 0; i < paths.Count; i++)
            Assert.Equal(scores[i], lines[i].Split('\t')[1].Split(',').Select(x => float.Parse(x, CultureInfo.InvariantCulture)));
    }
}
