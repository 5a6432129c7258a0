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
