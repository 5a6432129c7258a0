using EdramFer.Tests.Shared;
using OpenCvSharp;
using Xunit.Abstractions;

namespace EdramFer.Vision.Tests;

/// <summary>
/// dlib through the native shim, on real faces. The shim is built by scripts/setup.sh (CI runs it first), so a missing
/// shim fails these tests with the reason instead of skipping them.
/// </summary>
public sealed class DlibFaceDetectorTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void RequireShim() => Assert.True(DlibFaceDetector.IsAvailable, DlibFaceDetector.UnavailableReason);

    [Fact]
    public void IsAvailable_AfterSetup_ShimLoads()
    {
        RequireShim();

        using var detector = new DlibFaceDetector();

        Assert.Equal(DetectorKind.Dlib, detector.Kind);
        Assert.Empty(detector.Detect(new Mat(200, 200, MatType.CV_8UC1, Scalar.All(128)))); // flat grey: no face
    }

    [SharedDataFact(TestImages.MuxspaceImages)]
    public void Dlib_MuxspaceEveryFourthImage290_FindsFaceInAtLeast95Percent()
    {
        RequireShim();
        var files = TestImages.Muxspace().Where((_, i) => i % 4 == 0).ToList();
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [DetectorKind.Dlib], NoFacePolicy = NoFacePolicy.Reject });

        var results = pre.ProcessFiles(files);

        var found = results.Count(r => r.FaceFound);
        output.WriteLine($"dlib: {found}/{files.Count} = {100.0 * found / files.Count:F1} %");
        Assert.All(results, r => Assert.True(r.Status is PreprocessStatus.Ok or PreprocessStatus.NoFace, r.Message));
        Assert.All(results.Where(r => r.FaceFound), r => Assert.Equal(DetectorKind.Dlib, r.Detector));
        Assert.True(found >= 0.95 * files.Count, $"dlib found {found}/{files.Count}");
    }

    [SharedDataFact(TestImages.MuxspaceImages)]
    public void Landmarks_RealFaces_68PointsOnTheFaceEyesAboveNoseAboveMouth()
    {
        RequireShim();
        Assert.True(File.Exists(DlibFaceDetector.DefaultShapePredictorPath), "libdlib-data's 68-point model is missing: run scripts/setup.sh");
        using var detector = new DlibFaceDetector(shapePredictorPath: DlibFaceDetector.DefaultShapePredictorPath);
        var checkedFaces = 0;
        foreach (var file in TestImages.Muxspace().Take(10))
        {
            using var image = Cv2.ImRead(file, ImreadModes.Color);
            if (detector.Detect(image).FirstOrDefault() is not { Width: > 0 } face) continue;

            var p = detector.Landmarks(image, face);

            Assert.Equal(68, detector.LandmarkCount);
            Assert.Equal(68, p.Length);
            float MeanY(int from, int to) => p[from..(to + 1)].Average(q => q.Y);
            Assert.True(MeanY(36, 47) < MeanY(27, 35) && MeanY(27, 35) < MeanY(48, 67), $"{file}: eyes, nose and mouth out of order");
            var margin = face.Width * 0.3;
            Assert.All(p, q => Assert.InRange(q.X, face.X - margin, face.X + face.Width + margin));
            checkedFaces++;
        }
        Assert.True(checkedFaces >= 8, $"dlib found only {checkedFaces} of the first 10 muxspace faces");
    }

    /// <summary>
    /// dlib's faces carry five points from its 68 (eye centres, nose tip, mouth corners) that agree with YuNet's own
    /// five on the same faces: each point within 12 % of the face's width.
    /// </summary>
    [SharedDataFact(TestImages.MuxspaceImages)]
    public void Detect_WithShapePredictor_FivePointsAgreeWithYuNets()
    {
        RequireShim();
        using var dlib = new DlibFaceDetector(shapePredictorPath: DlibFaceDetector.DefaultShapePredictorPath);
        using var yunet = new YuNetFaceDetector(ShippedModels.YuNetPath!);
        var compared = 0;
        foreach (var file in TestImages.Muxspace().Take(12))
        {
            using var image = Cv2.ImRead(file, ImreadModes.Color);
            if (dlib.Detect(image).FirstOrDefault() is not { Landmarks: { } d } face) continue;
            if (yunet.Detect(image).FirstOrDefault() is not { Landmarks: { } y }) continue;
            var a = d.ToArray();
            var b = y.ToArray();
            for (var i = 0; i < a.Length; i += 2)
                Assert.True(Math.Sqrt(Math.Pow(a[i] - b[i], 2) + Math.Pow(a[i + 1] - b[i + 1], 2)) < 0.12 * face.Width,
                    $"{file}: point {i / 2} dlib ({a[i]:0}, {a[i + 1]:0}) vs YuNet ({b[i]:0}, {b[i + 1]:0}), face width {face.Width}");
            compared++;
        }
        Assert.True(compared >= 8, $"only {compared} of the first 12 muxspace images had a face from both detectors");
    }

    [SharedDataFact(TestImages.MuxspaceImages)]
    public void ProcessFiles_DlibInParallel_SameBoxesAndBytesAsSequential()
    {
        RequireShim();
        var files = TestImages.Muxspace().Where((_, i) => i % 29 == 0).ToList();
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [DetectorKind.Dlib] });

        var sequential = pre.ProcessFiles(files, maxDegreeOfParallelism: 1);
        var parallel = pre.ProcessFiles(files, maxDegreeOfParallelism: 4);

        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(sequential[i].Face, parallel[i].Face);
            Assert.Equal(sequential[i].Pixels, parallel[i].Pixels);
        }
    }

    [Fact]
    public void Load_NoShimFile_ReasonNamesTheSetupStepAndTheFoldersSearched()
    {
        var missing = Path.Combine(_dir.Path, "libedram_dlib.so");

        var (shim, reason) = DlibShim.Load([missing]);

        Assert.Null(shim);
        Assert.Contains("bash scripts/setup.sh", reason);
        Assert.Contains(missing, reason);
    }

    [Fact]
    public void Load_FileIsNotALibrary_ReasonNamesTheFileNoCrash()
    {
        var bogus = _dir.File("libedram_dlib.so", "not an ELF file"u8.ToArray());

        var (shim, reason) = DlibShim.Load([bogus]);

        Assert.Null(shim);
        Assert.Contains($"'{bogus}' could not be loaded", reason);
    }

    [Fact]
    public void SkipUnavailableDlib_InChain_RemovedWithOneWarning()
    {
        List<DetectorKind> kinds = [DetectorKind.YuNet, DetectorKind.Dlib];

        var warning = FacePreprocessor.SkipUnavailableDlib(kinds, "shim not built; run `bash scripts/setup.sh`");

        Assert.Equal([DetectorKind.YuNet], kinds);
        Assert.Contains("dlib skipped", warning);
        Assert.Contains("scripts/setup.sh", warning);
    }

    [Fact]
    public void SkipUnavailableDlib_DlibAlone_ThrowsNamingTheSetupStep()
    {
        var e = Assert.Throws<FileNotFoundException>(() =>
            FacePreprocessor.SkipUnavailableDlib([DetectorKind.Dlib], "shim not built; run `bash scripts/setup.sh`"));

        Assert.Contains("Detector dlib is not available", e.Message);
        Assert.Contains("scripts/setup.sh", e.Message);
    }

    [Fact]
    public void SkipUnavailableDlib_ShimAvailable_ChainUnchanged()
    {
        List<DetectorKind> kinds = [DetectorKind.Ssd, DetectorKind.Dlib];

        Assert.Null(FacePreprocessor.SkipUnavailableDlib(kinds, reason: null));
        Assert.Equal([DetectorKind.Ssd, DetectorKind.Dlib], kinds);
    }
}
