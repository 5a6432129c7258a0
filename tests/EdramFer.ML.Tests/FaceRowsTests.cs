using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using OpenCvSharp;

namespace EdramFer.ML.Tests;

/// <summary>
/// <see cref="FaceSelection.All"/>: one row per detected face (issue 13 item 5), on the group photo whose face boxes were
/// annotated by hand (<see cref="GroupPhoto"/>), with the default detector chain (the shipped YuNet).
/// </summary>
public sealed class FaceRowsTests
{
    private readonly MLContext _ml = new(seed: 0);

    public sealed class InputRow
    {
        public string Path { get; set; } = "";
        public int Id { get; set; }
    }

    /// <summary>The input's columns and what DetectAndCropFace/PreprocessFace adds (output "Face").</summary>
    public class FaceRow
    {
        public string Path { get; set; } = "";
        public int Id { get; set; }
        public byte[] Face { get; set; } = [];
        public bool FaceFound { get; set; }
        public string PreprocessStatus { get; set; } = "";
        public string Error { get; set; } = "";
        public int FaceCount { get; set; }
        public int FaceIndex { get; set; }
        public float FaceX { get; set; }
        public float FaceY { get; set; }
        public float FaceWidth { get; set; }
        public float FaceHeight { get; set; }
        public string Detector { get; set; } = "";
        public float DetectorScore { get; set; }

        public Rect Box() => new((int)FaceX, (int)FaceY, (int)FaceWidth, (int)FaceHeight);
    }

    /// <summary>A face row after ApplyEdram.</summary>
    public sealed class ScoredFaceRow : FaceRow
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }

    internal static FaceCroppingOptions All(string input = "Path", int maxFaces = 16) =>
        new() { OutputColumnName = "Face", InputColumnName = input, Faces = FaceSelection.All, MaxFaces = maxFaces };

    internal IDataView Inputs(params string[] paths) =>
        _ml.Data.LoadFromEnumerable(paths.Select((p, i) => new InputRow { Path = p, Id = i + 1 }).ToList());

    internal static string WriteGroupPhoto() => GroupPhoto.Write(Path.Combine(TestModels.TempFolder("group"), "group.png"));

    /// <summary>The group photo's rows: as many as annotated faces, largest first, each box on its annotated face.</summary>
    internal static void AssertGroupFaces(IReadOnlyList<FaceRow> rows, string path, int id)
    {
        Assert.Equal(GroupPhoto.Faces.Length, rows.Count);
        for (var k = 0; k < rows.Count; k++) AssertGroupFace(rows[k], k, path, id);
    }

    /// <summary>Face <paramref name="k"/> of the group photo, on the input row (<paramref name="path"/>, <paramref name="id"/>).</summary>
    internal static void AssertGroupFace(FaceRow r, int k, string path, int id)
    {
        Assert.Equal((k, GroupPhoto.Faces.Length, "Ok", ""), (r.FaceIndex, r.FaceCount, r.PreprocessStatus, r.Error));
        Assert.True(GroupPhoto.IoU(r.Box(), GroupPhoto.Faces[k]) >= 0.5, $"face {k}: {r.Box()} vs annotated {GroupPhoto.Faces[k]}, IoU {GroupPhoto.IoU(r.Box(), GroupPhoto.Faces[k]):F2}");
        Assert.Equal(("yunet", true, path, id), (r.Detector, r.FaceFound, r.Path, r.Id));
        Assert.InRange(r.DetectorScore, PreprocessOptions.DefaultYuNetScoreThreshold, 1f);
        Assert.Equal(100 * 100, r.Face.Length);
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void PreprocessFaceAll_GroupPhotoAndPortrait_OneScoredRowPerFaceWithTheAnnotatedBoxes()
    {
        var group = WriteGroupPhoto();
        var portrait = TestModels.Muxspace(1)[0];
        var data = Inputs(group, portrait);
        var model = _ml.Transforms.PreprocessFace(All()).Append(_ml.Transforms.ApplyEdram(TestModels.Small)).Fit(data);

        var rows = _ml.Data.CreateEnumerable<ScoredFaceRow>(model.Transform(data), reuseRowObject: false).ToList();

        using var vision = new FacePreprocessor(new PreprocessOptions()); // PreprocessFace = the Vision crop with CLAHE
        var expected = new[] { group, portrait }.SelectMany(p => vision.ProcessFileFaces(p, 16)).ToList();
        Assert.Equal(expected.Count, rows.Count);
        AssertGroupFaces(rows.Where(r => r.Id == 1).ToList(), group, 1);
        using var scorer = EdramScorer.Load(TestModels.Small);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i].Source, rows[i].Path); // the input row's columns, repeated on each of its faces
            Assert.Equal(expected[i].FaceIndex, rows[i].FaceIndex);
            Assert.Equal(expected[i].Pixels, rows[i].Face);
            Assert.Equal(scorer.Score([expected[i].Pixels]).ProbabilitiesOf(0).ToArray(), rows[i].Score);
        }
        Assert.Equal(2, rows.Last().Id);
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void DetectAndCropFaceAll_MaxFacesTwo_TheTwoLargestRowsCountingEveryFace()
    {
        var group = WriteGroupPhoto();
        var all = _ml.Data.CreateEnumerable<FaceRow>(_ml.Transforms.DetectAndCropFace(All()).Fit(Inputs(group)).Transform(Inputs(group)), false).ToList();

        var two = _ml.Data.CreateEnumerable<FaceRow>(_ml.Transforms.DetectAndCropFace(All(maxFaces: 2)).Fit(Inputs(group)).Transform(Inputs(group)), false).ToList();

        AssertGroupFaces(all, group, 1);
        Assert.Equal(2, two.Count);
        Assert.All(two, r => Assert.Equal(GroupPhoto.Faces.Length, r.FaceCount));
        Assert.Equal(all.Take(2).Select(r => (r.Box(), r.Face)), two.Select(r => (r.Box(), r.Face)));
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void DetectAndCropFaceLargest_GroupPhoto_OneRowWithTheLargestFaceAndItsBox()
    {
        var group = WriteGroupPhoto();
        var model = _ml.Transforms.DetectAndCropFace("Face", "Path").Fit(Inputs(group));

        var row = Assert.Single(_ml.Data.CreateEnumerable<FaceRow>(model.Transform(Inputs(group)), false));

        AssertGroupFace(row, 0, group, 1);
        using var vision = new FacePreprocessor(new PreprocessOptions { ClaheClipLimit = 0 });
        Assert.Equal(vision.ProcessFile(group).Pixels, row.Face);
        // Still a row-to-row mapper: a PredictionEngine gives the same row.
        Assert.True(model.IsRowToRowMapper);
        using var engine = _ml.Model.CreatePredictionEngine<InputRow, FaceRow>(model);
        Assert.Equal(row.Box(), engine.Predict(new InputRow { Path = group, Id = 1 }).Box());
    }

    [DemoPhotoFact("chelsea.png")]
    public void PreprocessFaceAll_CatAndMissingFile_OneUnscoredRowEachWithTheirStatus()
    {
        var cat = DemoPhotoFactAttribute.PathOf("chelsea.png");
        var missing = Path.Combine(TestModels.TempFolder("gone"), "gone.png");
        var data = Inputs(cat, missing);
        var model = _ml.Transforms.PreprocessFace(All()).Append(_ml.Transforms.ApplyEdram(TestModels.Small)).Fit(data);

        var rows = _ml.Data.CreateEnumerable<ScoredFaceRow>(model.Transform(data), false).ToList();

        Assert.Equal([(1, "NoFace"), (2, "FileNotFound")], rows.Select(r => (r.Id, r.PreprocessStatus)));
        Assert.Contains("no face found", rows[0].Error);
        Assert.Contains("gone.png", rows[1].Error);
        foreach (var r in rows)
        {
            Assert.Equal((0, -1, "", false, 0u), (r.FaceCount, r.FaceIndex, r.Detector, r.FaceFound, r.PredictedLabel));
            Assert.Empty(r.Face);
            Assert.All(new[] { r.FaceX, r.FaceY, r.FaceWidth, r.FaceHeight, r.DetectorScore }.Concat(r.Score), v => Assert.True(float.IsNaN(v)));
        }
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void DetectAndCropFaceAll_ImageColumnOfTheGroupPhoto_SameFacesInSourcePixels()
    {
        var group = WriteGroupPhoto();
        var data = _ml.Data.LoadFromEnumerable([new InputRow { Path = Path.GetFileName(group), Id = 1 }]);
        // A canvas as wide as the photo: the letterbox bars are trimmed again, so the boxes are in source pixels.
        var pipeline = _ml.Transforms.LoadImages("Image", Path.GetDirectoryName(group), "Path")
            .Append(_ml.Transforms.DetectAndCropFace(All("Image") with { ImageCanvasSize = 840 }));

        var rows = _ml.Data.CreateEnumerable<FaceRow>(pipeline.Fit(data).Transform(data), false).ToList();

        AssertGroupFaces(rows, Path.GetFileName(group), 1);
    }
}
