namespace EdramFer.Vision.Tests;

public sealed class PreprocessOptionsTests
{
    [Fact]
    public void FromMetadata_ToMetadataOfNonDefaults_RoundTrips()
    {
        var o = new PreprocessOptions
        {
            Detectors = [DetectorKind.YuNet, DetectorKind.Ssd, DetectorKind.Haar], Margin = 0.15, NoFacePolicy = NoFacePolicy.Reject,
            OutputSize = 64, ClaheClipLimit = 3.5, ClaheTileGrid = 4, MaxPixels = 1234567, MinDetectionSize = 200, ScoreThreshold = 0.7f,
        };

        var back = PreprocessOptions.FromMetadata(o.ToMetadata());

        Assert.Equal(o.ToMetadata(), back.ToMetadata());
        Assert.Equal(o.Detectors, back.Detectors);
        Assert.Equal(0.7f, back.ScoreThreshold);
        Assert.Equal(o.CacheKey, back.CacheKey);
    }

    [Fact]
    public void DetectorInputSize_RoundTripsAndIsWrittenOnlyWhenNotTheDefault()
    {
        var o = new PreprocessOptions { DetectorInputSize = 640 };
        Assert.Equal("640", o.ToMetadata()["preprocess.detector_input_size"]);
        Assert.Equal(640, PreprocessOptions.FromMetadata(o.ToMetadata()).DetectorInputSize);
        // Models, pipelines and caches written before the option keep their keys.
        Assert.DoesNotContain("preprocess.detector_input_size", new PreprocessOptions().ToMetadata().Keys);
        Assert.NotEqual(new PreprocessOptions().CacheKey, o.CacheKey);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(5000)]
    public void DetectorInputSize_OutOfRange_RefusedNamingIt(int size)
    {
        var e = Assert.Throws<ArgumentException>(() => new FacePreprocessor(new PreprocessOptions { DetectorInputSize = size }));
        Assert.Contains($"DetectorInputSize is {size}", e.Message);
    }

    [Theory]
    [InlineData(350, 350, 320, 320)]   // a muxspace photo: scaled down onto the 320 canvas
    [InlineData(48, 48, 320, 64)]      // a FER2013 crop: its own size, rounded up to YuNet's stride of 32
    [InlineData(100, 60, 320, 128)]
    [InlineData(2560, 1440, 640, 640)]
    [InlineData(200, 100, 300, 224)]   // an input size that is no multiple of 32
    [InlineData(2560, 1440, 300, 320)]
    public void YuNetCanvasSide_FollowsTheImageUpToTheInputSize(int width, int height, int inputSize, int side) =>
        Assert.Equal(side, YuNetFaceDetector.CanvasSide(width, height, inputSize));

    [Theory]
    [InlineData(350, 350, 320, 320)]
    [InlineData(2560, 1440, 320, 320)]
    [InlineData(2560, 1440, 1280, 1280)]
    [InlineData(100, 50, 320, 300)]   // enlarged to the SSD's training size, below which it misses faces
    [InlineData(400, 200, 640, 400)]
    public void SsdInput_SquareOfTheLongerSideBetween300AndTheInputSize(int width, int height, int inputSize, int side) =>
        Assert.Equal(new OpenCvSharp.Size(side, side), SsdFaceDetector.InputFor(width, height, inputSize));

    [Fact]
    public void FromMetadata_DlibChainMinFaceSizeAndUpsample_RoundTrip()
    {
        var o = new PreprocessOptions { Detectors = [DetectorKind.YuNet, DetectorKind.Dlib], MinFaceSize = 40, DlibUpsample = 1 };

        var back = PreprocessOptions.FromMetadata(o.ToMetadata());

        Assert.Equal("yunet,dlib", o.ToMetadata()["preprocess.detectors"]);
        Assert.Equal(o.Detectors, back.Detectors);
        Assert.Equal(40, back.MinFaceSize);
        Assert.Equal(1, back.DlibUpsample);
    }

    [Fact]
    public void ToMetadata_Defaults_StableKeysAndNoPaths()
    {
        var m = new PreprocessOptions { YuNetModelPath = "/somewhere/yunet.onnx" }.ToMetadata();

        Assert.All(m.Keys, k => Assert.StartsWith("preprocess.", k));
        Assert.DoesNotContain(m.Values, v => v.Contains('/'));
        Assert.Equal("yunet", m["preprocess.detectors"]); // the measured default (issue 13; was haar)
        Assert.Equal("2", m["preprocess.clahe_clip_limit"]);
        Assert.Equal("default", m["preprocess.score_threshold"]);
    }

    [Fact]
    public void CacheKey_PathsDiffer_SameKey()
    {
        var a = new PreprocessOptions { YuNetModelPath = "a.onnx" };
        var b = new PreprocessOptions { YuNetModelPath = "b.onnx" };

        Assert.Equal(a.CacheKey, b.CacheKey);
        Assert.Equal(16, a.CacheKey.Length);
    }

    [Fact]
    public void CacheKey_ClipLimitDiffers_DifferentKey()
    {
        Assert.NotEqual(new PreprocessOptions().CacheKey, new PreprocessOptions { ClaheClipLimit = 2.5 }.CacheKey);
    }

    [Fact]
    public void CacheKey_Defaults_PinnedValue()
    {
        // Pinned so an accidental change of a default or of the key format shows up as a failing test (caches depend on it).
        Assert.Equal(PinnedDefaultCacheKey, new PreprocessOptions().CacheKey);
    }

    // Re-pinned for issue 13: default chain yunet, new keys min_face_size, dlib_upsample, dlib_score_threshold; then
    // no-face policy reject by default (crop caches with detection are keyed anew; --detector none ones are not).
    private const string PinnedDefaultCacheKey = "96ff280182e049e9";

    [Fact]
    public void FromMetadata_OtherPrefixesAndMissingKeys_IgnoredAndDefaulted()
    {
        var o = PreprocessOptions.FromMetadata(new Dictionary<string, string> { ["model.classes"] = "7", ["preprocess.margin"] = "0.3" });

        Assert.Equal(0.3, o.Margin);
        Assert.Equal(100, o.OutputSize);
    }

    [Fact]
    public void FromMetadata_UnknownPreprocessKey_ThrowsNamingIt()
    {
        var e = Assert.Throws<FormatException>(() => PreprocessOptions.FromMetadata(new Dictionary<string, string> { ["preprocess.gamma"] = "2" }));

        Assert.Contains("preprocess.gamma", e.Message);
    }

    [Fact]
    public void FromMetadata_BadNumber_ThrowsNamingKeyAndValue()
    {
        var e = Assert.Throws<FormatException>(() => PreprocessOptions.FromMetadata(new Dictionary<string, string> { ["preprocess.output_size"] = "big" }));

        Assert.Contains("preprocess.output_size", e.Message);
        Assert.Contains("big", e.Message);
    }

    [Fact]
    public void FromMetadata_NoneDetectors_EmptyChain()
    {
        var metadata = new PreprocessOptions { Detectors = [] }.ToMetadata();
        var o = PreprocessOptions.FromMetadata(metadata);

        Assert.Equal("none", metadata["preprocess.detectors"]);
        Assert.Empty(o.Detectors);
    }
}
