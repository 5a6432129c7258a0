using OpenCvSharp;

namespace EdramFer.Vision.Tests;

public sealed class FacePreprocessorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ProcessFiles_BadInputsInOneBatch_EachGetsItsStatusAndGoodImagesComeOut()
    {
        using var good = TestImages.Synthetic(120, 90);
        var jpg = TestImages.Encode(good, ".jpg");
        var paths = new (string Path, PreprocessStatus Expected)[]
        {
            (_dir.File("good.png", TestImages.Encode(good, ".png")), PreprocessStatus.NoFaceFallback),
            (Path.Combine(_dir.Path, "missing.jpg"), PreprocessStatus.FileNotFound),
            (_dir.File("empty.jpg", []), PreprocessStatus.EmptyFile),
            // OpenCV 4.13's JPEG reader rejects a JPEG cut short (no partial image): Undecodable, message says "truncated JPEG".
            (_dir.File("truncated.jpg", jpg[..(jpg.Length / 2)]), PreprocessStatus.Undecodable),
            (_dir.File("text.jpg", "this is a text file, not a JPEG\n"u8.ToArray()), PreprocessStatus.Undecodable),
            (_dir.File("bomb.png", TestImages.PngWithDeclaredSize(100_000, 100_000)), PreprocessStatus.TooLarge),
            (_dir.File("zero.png", TestImages.PngWithDeclaredSize(0, 64)), PreprocessStatus.ZeroSize),
            (_dir.File("good.jpg", jpg), PreprocessStatus.NoFaceFallback),
            (_dir.File("good.bmp", TestImages.Encode(good, ".bmp")), PreprocessStatus.NoFaceFallback),
        };
        using var pre = new FacePreprocessor(new PreprocessOptions { NoFacePolicy = NoFacePolicy.CentreCrop }); // synthetic: no face

        var results = pre.ProcessFiles(paths.Select(p => p.Path).ToList(), maxDegreeOfParallelism: 2);

        Assert.Equal(paths.Length, results.Count);
        for (var i = 0; i < paths.Length; i++)
        {
            Assert.True(paths[i].Expected == results[i].Status, $"{paths[i].Path}: expected {paths[i].Expected}, got {results[i].Status} ({results[i].Message})");
            Assert.Contains(paths[i].Path, results[i].Message);
            Assert.Equal(paths[i].Path, results[i].Source);
            Assert.Equal(results[i].Status == PreprocessStatus.NoFaceFallback, results[i].HasPixels);
            if (results[i].Pixels is { } px) Assert.Equal(100 * 100, px.Length);
        }
        Assert.Contains("truncated JPEG", results[3].Message);
        Assert.Contains("refused before decoding", results[5].Message);
    }

    [Fact]
    public void ProcessEncoded_JpegWithoutEndMarker_UndecodableNamingTruncation()
    {
        using var image = TestImages.Synthetic(120, 90);
        var jpg = TestImages.Encode(image, ".jpg");
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessEncoded(jpg[..^2], "cut.jpg"); // only the 2-byte EOI marker is missing

        Assert.Equal(PreprocessStatus.Undecodable, result.Status);
        Assert.Contains("cut.jpg: truncated JPEG", result.Message);
    }

    [Fact]
    public void ProcessEncoded_HeaderClaimsHugePng_TooLargeWithoutDecoding()
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessEncoded(TestImages.PngWithDeclaredSize(100_000, 100_000), "bomb.png");

        Assert.Equal(PreprocessStatus.TooLarge, result.Status);
        Assert.Contains("100000x100000", result.Message);
    }

    [Theory]
    [InlineData(".png")]
    [InlineData(".bmp")]
    [InlineData(".webp")]
    [InlineData(".tiff")]
    public void ProcessEncoded_LosslessFormatsGreyAndColour_SameBytesAsPixels(string ext)
    {
        using var colour = TestImages.Synthetic(80, 64);
        using var grey = colour.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });
        var prms = ext == ".webp" ? new[] { new ImageEncodingParam(ImwriteFlags.WebPQuality, 101) } : []; // > 100 = lossless

        foreach (var m in new[] { colour, grey })
        {
            var fromFile = pre.ProcessEncoded(TestImages.Encode(m, ext, prms), "x" + ext);
            var raw = TestImages.Raw(m);
            var fromPixels = pre.ProcessPixels(raw, m.Width, m.Height, m.Channels());

            Assert.Equal(PreprocessStatus.Ok, fromFile.Status);
            Assert.Equal(fromPixels.Pixels, fromFile.Pixels);
        }
    }

    [Fact]
    public void ProcessFile_WebPDataNamedJpg_DecodedByContentNotExtension()
    {
        using var image = TestImages.Synthetic(90, 110, seed: 5);
        var webp = _dir.File("really-webp.jpg", TestImages.Encode(image, ".webp", new ImageEncodingParam(ImwriteFlags.WebPQuality, 101)));
        var png = _dir.File("same.png", TestImages.Encode(image, ".png"));
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var fromWebp = pre.ProcessFile(webp);

        Assert.Equal(PreprocessStatus.Ok, fromWebp.Status);
        Assert.Equal(pre.ProcessFile(png).Pixels, fromWebp.Pixels);
    }

    [Fact]
    public void ProcessEncoded_Png16BitWithAlpha_SameBytesAsEightBitBgr()
    {
        using var bgr = TestImages.Synthetic(90, 70);
        using var bgra = bgr.CvtColor(ColorConversionCodes.BGR2BGRA);
        using var deep = new Mat();
        bgra.ConvertTo(deep, MatType.CV_16UC4, 257); // 255 → 65535: exact inverse of the 1/257 normalisation
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var sixteen = pre.ProcessEncoded(TestImages.Encode(deep, ".png"), "deep.png");
        var eight = pre.ProcessEncoded(TestImages.Encode(bgr, ".png"), "flat.png");

        Assert.Equal(PreprocessStatus.Ok, sixteen.Status);
        Assert.Equal(eight.Pixels, sixteen.Pixels);
    }

    [Fact]
    public void ProcessPixels_Bgra_SameBytesAsBgr()
    {
        using var bgr = TestImages.Synthetic(64, 48);
        using var bgra = bgr.CvtColor(ColorConversionCodes.BGR2BGRA);
        var b3 = TestImages.Raw(bgr);
        var b4 = TestImages.Raw(bgra);
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        Assert.Equal(pre.ProcessPixels(b3, 64, 48, 3).Pixels, pre.ProcessPixels(b4, 64, 48, 4).Pixels);
    }

    [Fact]
    public void ProcessPixels_ZeroWidth_ZeroSize()
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessPixels([], 0, 10, 1, "frame-7");

        Assert.Equal(PreprocessStatus.ZeroSize, result.Status);
        Assert.Contains("frame-7", result.Message);
    }

    [Fact]
    public void ProcessPixels_WrongBufferLength_Throws()
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var e = Assert.Throws<ArgumentException>(() => pre.ProcessPixels(new byte[10], 4, 4, 1));
        Assert.Contains("expected 4x4x1 = 16", e.Message);
    }

    [Fact]
    public void ProcessEncoded_NoDetectors_WholeImageOkWithDetectorNone()
    {
        using var image = TestImages.Synthetic(48, 48);
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [] });

        var result = pre.ProcessEncoded(TestImages.Encode(image, ".png"), "crop.png");

        Assert.Equal(PreprocessStatus.Ok, result.Status);
        Assert.Null(result.Detector);
        Assert.Equal("none", DetectorNames.OfFace(result.Face, result.Detector));
        Assert.Equal(new FaceBox(0, 0, 48, 48, 1f), result.Face);
        Assert.False(result.FaceFound);
    }

    [Theory]
    [InlineData(NoFacePolicy.CentreCrop, PreprocessStatus.NoFaceFallback)]
    [InlineData(NoFacePolicy.WholeImage, PreprocessStatus.NoFaceFallback)]
    [InlineData(NoFacePolicy.Reject, PreprocessStatus.NoFace)]
    public void ProcessPixels_NoFaceInImage_PolicyDecides(NoFacePolicy policy, PreprocessStatus expected)
    {
        var flat = new byte[200 * 120];
        for (var i = 0; i < flat.Length; i++) flat[i] = (byte)(i % 200); // horizontal ramp: nothing face-like
        using var pre = new FacePreprocessor(new PreprocessOptions { NoFacePolicy = policy });

        var result = pre.ProcessPixels(flat, 200, 120, 1, "ramp");

        Assert.Equal(expected, result.Status);
        Assert.Equal(policy != NoFacePolicy.Reject, result.HasPixels);
        // The default chain changed from Haar to the measured one (issue 13): the message names whichever runs.
        Assert.Contains($"no face found by {string.Join("→", PreprocessOptions.DefaultDetectors)}", result.Message);
        if (policy == NoFacePolicy.CentreCrop)
        {
            var crop = FaceCropper.CropGrey(flat, 200, 120, 1, FaceCropper.CentreSquare(200, 120), 100);
            Assert.Equal(Clahe.Apply(crop, 100, 2.0, 8), result.Pixels);
        }
    }

    [Fact]
    public void Process_CropWithoutClaheThenClaheApply_EqualsFullPipeline()
    {
        using var image = TestImages.Synthetic(150, 110, seed: 3);
        var png = TestImages.Encode(image, ".png");
        var options = new PreprocessOptions { ClaheClipLimit = 3.0, ClaheTileGrid = 4, NoFacePolicy = NoFacePolicy.CentreCrop };
        using var full = new FacePreprocessor(options);
        using var cropOnly = new FacePreprocessor(options with { ClaheClipLimit = 0 });

        var expected = full.ProcessEncoded(png, "a.png").Pixels;
        var crop = cropOnly.ProcessEncoded(png, "a.png").Pixels!;

        Assert.Equal(expected, Clahe.Apply(crop, 100, 3.0, 4));
        Assert.NotEqual(expected, crop);
    }

    [Fact]
    public void ProcessFile_SameFileTwiceAndInParallel_SameBytes()
    {
        var files = Enumerable.Range(0, 12).Select(i =>
        {
            using var m = TestImages.Synthetic(100 + i * 7, 90 + i * 3, seed: i);
            return _dir.File($"img{i}.jpg", TestImages.Encode(m, ".jpg"));
        }).ToList();
        using var pre = new FacePreprocessor(new PreprocessOptions { NoFacePolicy = NoFacePolicy.CentreCrop }); // synthetic: no face

        var first = files.Select(pre.ProcessFile).ToList();
        var second = files.Select(pre.ProcessFile).ToList();
        var parallel = pre.ProcessFiles(files, maxDegreeOfParallelism: 4);

        for (var i = 0; i < files.Count; i++)
        {
            Assert.NotNull(first[i].Pixels);
            Assert.Equal(first[i].Pixels, second[i].Pixels);
            Assert.Equal(first[i].Pixels, parallel[i].Pixels);
        }
    }

    [Fact]
    public void Constructor_MissingYuNetModel_ThrowsNamingTheFile()
    {
        var missing = Path.Combine(_dir.Path, "no-such-yunet.onnx");

        var e = Assert.Throws<FileNotFoundException>(() => new FacePreprocessor(new PreprocessOptions { Detectors = [DetectorKind.YuNet], YuNetModelPath = missing }));

        Assert.Contains(missing, e.Message);
        Assert.Contains("YuNetModelPath", e.Message);
    }

    [Fact]
    public void Constructor_SsdInChainWithoutPaths_ThrowsNamingTheOption()
    {
        // Paths cleared: by default they point at the shipped models (issue 13).
        var e = Assert.Throws<ArgumentException>(() => new FacePreprocessor(new PreprocessOptions { Detectors = [DetectorKind.Ssd], SsdModelPath = null, SsdConfigPath = null }));

        Assert.Contains("SsdModelPath", e.Message);
    }

    [Fact]
    public void Constructor_CascadeIsNotXml_ThrowsNamingTheFile()
    {
        var bogus = _dir.File("cascade.xml", "not a cascade"u8.ToArray());

        var e = Assert.ThrowsAny<Exception>(() => new FacePreprocessor(new PreprocessOptions { Detectors = [DetectorKind.Haar], CascadePath = bogus }));

        Assert.Contains(bogus, e.Message);
    }

    [Fact]
    public void Constructor_NegativeMargin_ThrowsWithTheValue()
    {
        var e = Assert.Throws<ArgumentException>(() => new FacePreprocessor(new PreprocessOptions { Margin = -0.5 }));

        Assert.Contains("-0.5", e.Message);
    }
}
