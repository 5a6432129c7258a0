using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML.Tests;

public class PreprocessTransformTests
{
    private readonly MLContext _ml = new(seed: 0);

    public sealed class PathRow
    {
        public string Path { get; set; } = "";
    }

    /// <summary>The columns DetectAndCropFace/PreprocessFace add (output "Face").</summary>
    internal sealed class CropRow
    {
        public byte[] Face { get; set; } = [];
        public bool FaceFound { get; set; }
        public string PreprocessStatus { get; set; } = "";
        public string Error { get; set; } = "";
    }

    private IDataView Paths(IEnumerable<string> paths) => _ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { Path = p }).ToList());

    // Haar misses some of these faces: the centre-crop fallback gives every row pixels to compare.
    private static PreprocessOptions Haar => new() { Detectors = [DetectorKind.Haar], NoFacePolicy = NoFacePolicy.CentreCrop };

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void DetectAndCropFace_PathColumn_EqualsVisionCrop()
    {
        var paths = TestModels.Muxspace(12);
        var rows = _ml.Transforms.DetectAndCropFace("Face", "Path", Haar).Fit(Paths(paths)).Transform(Paths(paths));
        var got = _ml.Data.CreateEnumerable<CropRow>(rows, reuseRowObject: false).ToList();
        using var vision = new FacePreprocessor(Haar with { ClaheClipLimit = 0 });
        Assert.Equal(paths.Count, got.Count);
        for (var i = 0; i < paths.Count; i++)
        {
            var expected = vision.ProcessFile(paths[i]);
            Assert.Equal(expected.Pixels, got[i].Face);
            Assert.Equal(expected.FaceFound, got[i].FaceFound);
            Assert.Equal(expected.Status.ToString(), got[i].PreprocessStatus);
            Assert.Equal("", got[i].Error);
        }
        Assert.Contains(got, r => r.FaceFound); // the detector really ran
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void ApplyClahe_SameBytes_EqualsVisionClahe()
    {
        var paths = TestModels.Muxspace(6);
        var pipeline = _ml.Transforms.DetectAndCropFace("Crop", "Path", Haar).Append(_ml.Transforms.ApplyClahe("Equalised", "Crop", clipLimit: 3.0, tileGrid: 4));
        var view = pipeline.Fit(Paths(paths)).Transform(Paths(paths));
        var crops = view.GetColumn<VBuffer<byte>>("Crop").Select(v => v.DenseValues().ToArray()).ToList();
        var equalised = view.GetColumn<VBuffer<byte>>("Equalised").Select(v => v.DenseValues().ToArray()).ToList();
        for (var i = 0; i < paths.Count; i++)
        {
            Assert.Equal(Clahe.Apply(crops[i], 100, 3.0, 4), equalised[i]);
            Assert.NotEqual(crops[i], equalised[i]);
        }
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void PreprocessFace_GoodAndBadRows_EqualsFacePreprocessorAndKeepsFlowing()
    {
        var dir = TestModels.TempFolder("bad-images");
        var corrupt = Path.Combine(dir, "corrupt.jpg");
        File.WriteAllText(corrupt, "not a jpeg");
        var missing = Path.Combine(dir, "missing.jpg");
        var paths = TestModels.Muxspace(4).Concat([corrupt, missing]).ToList();
        var rows = _ml.Data.CreateEnumerable<CropRow>(_ml.Transforms.PreprocessFace("Face", "Path", Haar).Fit(Paths(paths)).Transform(Paths(paths)), false).ToList();
        using var vision = new FacePreprocessor(Haar);
        Assert.Equal(paths.Count, rows.Count);
        for (var i = 0; i < paths.Count; i++)
        {
            var expected = vision.ProcessFile(paths[i]);
            Assert.Equal(expected.Pixels ?? [], rows[i].Face);
            Assert.Equal(expected.Status.ToString(), rows[i].PreprocessStatus);
        }
        Assert.Equal(nameof(PreprocessStatus.Undecodable), rows[4].PreprocessStatus);
        Assert.Contains("corrupt.jpg", rows[4].Error);
        Assert.Equal(nameof(PreprocessStatus.FileNotFound), rows[5].PreprocessStatus);
        Assert.Contains("missing.jpg", rows[5].Error);
        Assert.Empty(rows[5].Face);
    }

    [Fact]
    public void DetectAndCropFace_WrongColumnType_FailsAtGetOutputSchemaNamingColumn()
    {
        var view = _ml.Data.LoadFromEnumerable([new FloatRow { Image = 1f }]);
        var estimator = _ml.Transforms.DetectAndCropFace("Face", "Image", new PreprocessOptions { Detectors = [] });
        var e = Assert.ThrowsAny<ArgumentException>(() => estimator.Fit(view));
        Assert.Contains("Schema mismatch for input column 'Image': expected String (image path) or Image (MLImage, e.g. from LoadImages), got Single", e.Message);
        var missing = Assert.ThrowsAny<ArgumentException>(() => _ml.Transforms.DetectAndCropFace("Face", "Nope").Fit(view));
        Assert.Contains("Could not find input column 'Nope'", missing.Message);
        var clahe = Assert.ThrowsAny<ArgumentException>(() => _ml.Transforms.ApplyClahe("Out", "Image").Fit(view));
        Assert.Contains("Schema mismatch for input column 'Image': expected Vector<Byte> (square grey image), got Single", clahe.Message);
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void PreprocessFace_SaveLoad_SameBytes()
    {
        var paths = TestModels.Muxspace(3);
        var model = _ml.Transforms.PreprocessFace("Face", "Path", Haar with { Margin = 0.3, ClaheClipLimit = 4 }).Fit(Paths(paths));
        var zip = Path.Combine(TestModels.TempFolder("save"), "pre.zip");
        _ml.Model.Save(model, Paths(paths).Schema, zip);
        var loaded = new MLContext(seed: 1).Model.LoadEdram(zip);
        var before = model.Transform(Paths(paths)).GetColumn<VBuffer<byte>>("Face").Select(v => v.DenseValues().ToArray()).ToList();
        var after = loaded.Transform(Paths(paths)).GetColumn<VBuffer<byte>>("Face").Select(v => v.DenseValues().ToArray()).ToList();
        Assert.Equal(before, after);
        using var vision = new FacePreprocessor(Haar with { Margin = 0.3, ClaheClipLimit = 4 });
        Assert.Equal(vision.ProcessFile(paths[0]).Pixels, after[0]);
    }

    private sealed class FloatRow
    {
        public float Image { get; set; }
    }
}
