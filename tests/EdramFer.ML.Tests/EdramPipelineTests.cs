using System.IO.Compression;
using System.Text;
using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML.Tests;

public class EdramPipelineTests
{
    private sealed class PathRow
    {
        public string Path { get; set; } = "";
    }

    private sealed class Scored
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }

    [SharedDataFact("fer2013/test", "face_detectors/face_detection_yunet_2023mar.onnx")]
    public void Load_ZipAndModelMovedTogether_ResolvesRelativePathAndSamePredictions()
    {
        var root = TestModels.TempFolder("relocate");
        var before = Path.Combine(root, "before");
        var model = Path.Combine(before, "onnx", "x.onnx");
        var detector = Path.Combine(before, "detectors", "yunet.onnx");
        var zip = Path.Combine(before, "pipelines", "x.zip");
        foreach (var d in new[] { model, detector, zip }) Directory.CreateDirectory(Path.GetDirectoryName(d)!);
        File.Copy(TestModels.Small, model);
        File.Copy(SharedData.Path("face_detectors", "face_detection_yunet_2023mar.onnx"), detector);

        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(TestModels.FerTest(2).Select(r => new PathRow { Path = r.Path }).ToList());
        var folder = Path.GetDirectoryName(zip);
        var preprocess = new PreprocessOptions { Detectors = [DetectorKind.YuNet], YuNetModelPath = detector, NoFacePolicy = NoFacePolicy.WholeImage };
        var fitted = ml.Transforms.PreprocessFace(new FaceCroppingOptions { OutputColumnName = "Face", InputColumnName = "Path", Preprocess = preprocess, PipelineFolder = folder })
            .Append(ml.Transforms.ApplyEdram(new EdramScoringOptions { ModelFile = model, PipelineFolder = folder }))
            .Fit(data);
        ml.Model.Save(fitted, data.Schema, zip);
        var expected = ml.Data.CreateEnumerable<Scored>(fitted.Transform(data), false).ToList();

        var state = Assert.Single(EdramPipeline.FindScoring(ml, fitted));
        Assert.Equal("../onnx/x.onnx", state.ModelPath);
        Assert.True(state.RelativeToPipeline);
        var text = ZipText(zip);
        Assert.Contains("../onnx/x.onnx", text);         // the scan sees the stored strings...
        Assert.Contains("../detectors/yunet.onnx", text);
        Assert.DoesNotContain(root, text);               // ...and no absolute path of this machine among them
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), text);

        var after = Path.Combine(root, "elsewhere", "after");
        Directory.CreateDirectory(Path.GetDirectoryName(after)!);
        Directory.Move(before, after);
        var reloaded = new MLContext(seed: 1).Model.LoadEdram(Path.Combine(after, "pipelines", "x.zip"));
        var actual = ml.Data.CreateEnumerable<Scored>(reloaded.Transform(data), false).ToList();
        Assert.Equal(expected.Select(e => e.Score), actual.Select(a => a.Score));
        Assert.Equal(expected.Select(e => e.PredictedLabel), actual.Select(a => a.PredictedLabel));
    }

    [SharedDataFact("fer2013/test")]
    public void Load_ModelReplacedByAnotherFile_FailsOnHash()
    {
        var root = TestModels.TempFolder("rehash");
        var model = Path.Combine(root, "onnx", "x.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(model)!);
        File.Copy(TestModels.Small, model);
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(TestModels.FerTest(1).Take(1).Select(r => new PathRow { Path = r.Path }).ToList());
        var zip = Path.Combine(root, "x.zip");
        var fitted = ml.Transforms.PreprocessFace("Face", "Path", new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage })
            .Append(ml.Transforms.ApplyEdram(new EdramScoringOptions { ModelFile = model, PipelineFolder = root }))
            .Fit(data);
        ml.Model.Save(fitted, data.Schema, zip);
        File.AppendAllText(model, "tampered"); // same path, other bytes
        // EdramPipeline.Load now checks the model when it loads (issue #14 item 15): the reason comes unwrapped, before any row.
        var e = Assert.Throws<InvalidDataException>(() => new MLContext(seed: 1).Model.LoadEdram(zip));
        Assert.Contains("but the pipeline was built with", e.Message);
    }

    /// <summary>
    /// The text of every zip entry: its bytes as UTF-8 and UTF-16 (even and odd offsets), and for entries that are ML.NET
    /// binary data views (value tables, whose blocks are compressed) every text value they hold, read back with
    /// <c>LoadFromBinary</c>.
    /// </summary>
    private static string ZipText(string zip)
    {
        var text = new StringBuilder();
        var ml = new MLContext(seed: 0);
        var scratch = TestModels.TempFolder("zip-entries");
        using var archive = ZipFile.OpenRead(zip);
        foreach (var entry in archive.Entries)
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            text.Append(entry.FullName).Append('\n').Append(Encoding.UTF8.GetString(bytes)).Append('\n')
                .Append(Encoding.Unicode.GetString(bytes)).Append('\n')
                .Append(Encoding.Unicode.GetString(bytes, Math.Min(1, bytes.Length), Math.Max(0, bytes.Length - 1))).Append('\n');
            if (!bytes.AsSpan().StartsWith("CML\0DVB\0"u8)) continue; // ML.NET's binary data view signature
            var file = Path.Combine(scratch, Guid.NewGuid().ToString("N") + ".idv");
            File.WriteAllBytes(file, bytes);
            var view = ml.Data.LoadFromBinary(file);
            foreach (var column in view.Schema.Where(c => c.Type is TextDataViewType))
                foreach (var value in view.GetColumn<string>(column))
                    text.Append(value).Append('\n');
        }
        return text.ToString();
    }
}
