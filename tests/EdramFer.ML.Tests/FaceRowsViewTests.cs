using System.Globalization;
using System.Security.Cryptography;
using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using static EdramFer.ML.Tests.FaceRowsTests;

namespace EdramFer.ML.Tests;

/// <summary>
/// How the rows of <see cref="FaceSelection.All"/> reach ML.NET: cursors over some columns, parallel cursor sets, no
/// PredictionEngine, and a saved pipeline that gives the same rows after <c>LoadEdram</c> (here and in another process)
/// while a plain <c>Model.Load</c> refuses it.
/// </summary>
public sealed class FaceRowsViewTests
{
    private readonly MLContext _ml = new(seed: 0);

    private IDataView Inputs(params string[] paths) =>
        _ml.Data.LoadFromEnumerable(paths.Select((p, i) => new InputRow { Path = p, Id = i + 1 }).ToList());

    /// <summary>Id, face index and crop of every row, read through a cursor over just those columns.</summary>
    private static List<(int Id, int Face, string Crop)> Read(DataViewRowCursor cursor, DataViewSchema schema)
    {
        var id = cursor.GetGetter<int>(schema["Id"]);
        var face = cursor.GetGetter<int>(schema[FaceColumns.FaceIndex]);
        var crop = cursor.GetGetter<VBuffer<byte>>(schema["Face"]);
        var rows = new List<(int, int, string)>();
        int i = 0, f = 0;
        VBuffer<byte> c = default;
        while (cursor.MoveNext())
        {
            id(ref i);
            face(ref f);
            crop(ref c);
            rows.Add((i, f, Hash(c.DenseValues())));
        }
        return rows;
    }

    private static string Hash(IEnumerable<byte> crop) => Convert.ToHexString(SHA256.HashData(crop.ToArray()));

    [SharedDataFact(GroupPhoto.Source)]
    public void Cursors_ColumnSubsetsAndCursorSets_TheSerialRowsInTheirOrder()
    {
        var group = WriteGroupPhoto();
        var missing = Path.Combine(TestModels.TempFolder("gone"), "gone.png");
        var data = Inputs(group, TestModels.Muxspace(1)[0], missing, group, group);
        var view = _ml.Transforms.PreprocessFace(All()).Fit(data).Transform(data);
        var s = view.Schema;
        List<(int Id, int Face, string Crop)> serial;
        using (var cursor = view.GetRowCursor(view.Schema)) serial = Read(cursor, s);
        Assert.Equal(3 * GroupPhoto.Faces.Length + 2, serial.Count);

        // One column at a time: ML.NET asks for what it reads, and the faces still unfold.
        Assert.Equal(serial.Select(r => r.Id), view.GetColumn<int>("Id"));
        Assert.Equal(serial.Select(r => r.Face), view.GetColumn<int>(FaceColumns.FaceIndex));
        Assert.Equal(serial.Select(r => r.Crop), view.GetColumn<byte[]>("Face").Select(Hash));

        // A cursor set: every row exactly once, the faces of an image with it in one batch, the order recoverable by batch.
        var cursors = view.GetRowCursorSet([s["Id"], s[FaceColumns.FaceIndex], s["Face"]], 3);
        Assert.True(cursors.Length > 1, "ML.NET did not split the cursor");
        var rows = new List<(long Batch, int Cursor, int Seq, (int Id, int Face, string Crop) Row, DataViewRowId RowId)>();
        for (var k = 0; k < cursors.Length; k++)
            using (var cursor = cursors[k])
            {
                var (id, face, crop) = (cursor.GetGetter<int>(s["Id"]), cursor.GetGetter<int>(s[FaceColumns.FaceIndex]), cursor.GetGetter<VBuffer<byte>>(s["Face"]));
                var rowId = cursor.GetIdGetter();
                var seq = 0;
                while (cursor.MoveNext())
                {
                    int i = 0, f = 0;
                    VBuffer<byte> c = default;
                    DataViewRowId rid = default;
                    id(ref i);
                    face(ref f);
                    crop(ref c);
                    rowId(ref rid);
                    rows.Add((cursor.Batch, k, seq++, (i, f, Hash(c.DenseValues())), rid));
                }
            }
        Assert.All(rows.GroupBy(r => r.Batch), b => Assert.Single(b.Select(r => r.Cursor).Distinct()));
        Assert.Equal(serial, rows.OrderBy(r => r.Batch).ThenBy(r => r.Seq).Select(r => r.Row));
        Assert.Equal(rows.Count, rows.Select(r => r.RowId).Distinct().Count());
    }

    [Fact]
    public void PredictionEngine_AllFaces_RefusedAsNotRowToRow()
    {
        var data = Inputs("a.png");
        var crop = _ml.Transforms.DetectAndCropFace(All()).Fit(data);
        var pipeline = _ml.Transforms.PreprocessFace(All()).Fit(data);

        Assert.False(crop.IsRowToRowMapper);
        Assert.False(((ITransformer)pipeline).IsRowToRowMapper);
        var e = Assert.Throws<InvalidOperationException>(() => crop.GetRowToRowMapper(data.Schema));
        Assert.Contains("one row per detected face", e.Message);
        Assert.Contains("call Transform on an IDataView", e.Message);
        // ML.NET's own check, before any mapper is asked for.
        var engine = Assert.ThrowsAny<ArgumentException>(() => _ml.Model.CreatePredictionEngine<InputRow, FaceRow>(pipeline));
        Assert.Contains("row to row mapper", engine.Message);
    }

    [Fact]
    public void PlainModelLoad_AllFaces_FailsAtLoadPointingToLoadEdram()
    {
        var data = Inputs("a.png");
        var zip = Path.Combine(TestModels.TempFolder("plain"), "faces.zip");
        _ml.Model.Save(_ml.Transforms.PreprocessFace(All()).Fit(data), data.Schema, zip);

        var e = Assert.ThrowsAny<Exception>(() => new MLContext(seed: 1).RegisterTransforms().Model.Load(zip, out _));

        Assert.Contains("mlContext.Model.LoadEdram", e.ToString());
        Assert.Contains("FaceCroppingOptions.Faces = All also needs LoadEdram to give one row per face", e.ToString());
    }

    [Fact]
    public void PipelineImageScorer_AllFacesZip_RefusedAsNotOneRowPerImage()
    {
        var data = Inputs("a.png");
        var zip = Path.Combine(TestModels.TempFolder("scorer"), "faces.zip");
        _ml.Model.Save(_ml.Transforms.PreprocessFace(All()).Append(_ml.Transforms.ApplyEdram(TestModels.Small)).Fit(data), data.Schema, zip);

        // edram score --model writes one row per image: it must not take a zip whose rows are faces.
        var e = Assert.Throws<InvalidDataException>(() => new PipelineImageScorer(zip));

        Assert.Contains("one row per face (FaceCroppingOptions.Faces = All)", e.Message);
    }

    [SharedDataFact(GroupPhoto.Source)]
    public void SaveLoadAll_LoadEdramHereAndInAnotherProcess_TheSameRowsPerFace()
    {
        var group = WriteGroupPhoto();
        var portrait = TestModels.Muxspace(1)[0];
        var data = Inputs(group, portrait);
        var model = _ml.Transforms.PreprocessFace(All()).Append(_ml.Transforms.ApplyEdram(TestModels.Small)).Fit(data);
        var folder = TestModels.TempFolder("faces-zip");
        var zip = Path.Combine(folder, "faces.zip");
        _ml.Model.Save(model, data.Schema, zip);
        var expected = _ml.Data.CreateEnumerable<ScoredFaceRow>(model.Transform(data), false).ToList();

        var ml = new MLContext(seed: 1);
        using var loaded = ml.Model.LoadEdram(zip);
        var here = ml.Data.CreateEnumerable<ScoredFaceRow>(loaded.Transform(Inputs(group, portrait)), false).ToList();
        var paths = Path.Combine(folder, "paths.txt");
        File.WriteAllLines(paths, [group, portrait]);
        var output = Path.Combine(folder, "out.tsv");
        ApplyEdramTests.RunLoadCheck(zip, "Path", paths, output);
        var there = File.ReadAllLines(output).Select(l => l.Split('\t')).ToList();

        Assert.False(loaded.IsRowToRowMapper);
        AssertGroupFaces(here.Where(r => r.Id == 1).ToList(), group, 1);
        Assert.Equal(expected.Select(r => (r.Id, r.FaceIndex, r.Box(), r.Face)), here.Select(r => (r.Id, r.FaceIndex, r.Box(), r.Face)));
        Assert.Equal(expected.Select(r => r.Score), here.Select(r => r.Score));
        Assert.Equal(expected.Count, there.Count);
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < there.Count; i++)
        {
            Assert.Equal(expected[i].Score, there[i][1].Split(',').Select(x => float.Parse(x, inv)));
            Assert.Equal(expected[i].FaceIndex.ToString(inv), there[i][5]);
            Assert.Equal(new[] { expected[i].FaceX, expected[i].FaceY, expected[i].FaceWidth, expected[i].FaceHeight }, there[i][6].Split(',').Select(x => float.Parse(x, inv)));
            Assert.Equal(expected[i].Path, there[i][7]);
        }
    }
}
