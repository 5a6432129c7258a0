using System.Diagnostics;
using System.Globalization;
using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.ML.Tests;

public class ApplyEdramTests
{
    private readonly MLContext _ml = new(seed: 0);

    private static PreprocessOptions NoDetection => new() { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage };

    public sealed class LabeledRow
    {
        public string Path { get; set; } = "";
        public string LabelText { get; set; } = "";
    }

    private sealed class Scored
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
        public float Valence { get; set; }
        public float Arousal { get; set; }
        public float[] Glimpses { get; set; } = [];
        public bool FaceFound { get; set; }
        public string Error { get; set; } = "";
    }

    private IDataView Rows(IEnumerable<(string Path, string Label)> rows) =>
        _ml.Data.LoadFromEnumerable(rows.Select(r => new LabeledRow { Path = r.Path, LabelText = r.Label }).ToList());

    private IEstimator<ITransformer> Pipeline(string model, int? gpu = null, bool fallback = false) =>
        _ml.Transforms.PreprocessFace("Face", "Path", NoDetection)
            .Append(_ml.Transforms.ApplyEdram(new EdramScoringOptions { ModelFile = model, GpuDeviceId = gpu, FallbackToCpu = fallback }));

    /// <summary>Raw ONNX Runtime, batch 1, on the preprocessed bytes scaled as the model's metadata says.</summary>
    private static (float[] Probabilities, float[] Glimpses) RawOrt(InferenceSession session, byte[] pixels)
    {
        var scale = float.Parse(session.ModelMetadata.CustomMetadataMap["edram.input_scale"], CultureInfo.InvariantCulture);
        var input = pixels.Select(b => b * scale).ToArray();
        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [1, 1, 100, 100]);
        using var outputs = session.Run(new RunOptions(), ["image"], [tensor], ["probabilities", "glimpses"]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    [SharedDataFact("fer2013/test")]
    public void ApplyEdram_FerImages_IdenticalToRawOnnxRuntime()
    {
        var rows = TestModels.FerTest(3);
        var scored = _ml.Data.CreateEnumerable<Scored>(Pipeline(TestModels.Small).Fit(Rows(rows)).Transform(Rows(rows)), false).ToList();
        using var session = new InferenceSession(TestModels.Small);
        using var vision = new FacePreprocessor(NoDetection);
        for (var i = 0; i < rows.Count; i++)
        {
            var (probabilities, glimpses) = RawOrt(session, vision.ProcessFile(rows[i].Path).Pixels!);
            Assert.Equal(probabilities, scored[i].Score);
            Assert.Equal(glimpses, scored[i].Glimpses);
            Assert.Equal((uint)(Array.IndexOf(probabilities, probabilities.Max()) + 1), scored[i].PredictedLabel);
            Assert.True(float.IsNaN(scored[i].Valence), "valence is NaN for a model whose valence/arousal head was not trained");
        }
        Assert.True(scored.Select(s => s.Score[0]).Distinct().Count() > 1, "different images give different scores");
    }

    [SharedDataFact("fer2013/test")]
    public void ApplyEdram_Schema_ScoreSlotNamesAndPredictedKeyValuesAreLabels()
    {
        var rows = TestModels.FerTest(1);
        var view = Pipeline(TestModels.Small).Fit(Rows(rows)).Transform(Rows(rows));
        VBuffer<ReadOnlyMemory<char>> names = default;
        view.Schema["Score"].GetSlotNames(ref names);
        Assert.Equal(TestModels.Labels, names.DenseValues().Select(n => n.ToString()));
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 7), view.Schema["Score"].Type);
        VBuffer<ReadOnlyMemory<char>> keys = default;
        view.Schema["PredictedLabel"].GetKeyValues(ref keys);
        Assert.Equal(TestModels.Labels, keys.DenseValues().Select(n => n.ToString()));
        Assert.Equal(7UL, Assert.IsType<KeyDataViewType>(view.Schema["PredictedLabel"].Type).Count);
        // The temporary label-named columns are gone and the input is intact.
        Assert.Null(view.Schema.GetColumnOrNull("happy"));
        Assert.NotNull(view.Schema.GetColumnOrNull("LabelText"));
    }

    [SharedDataFact("fer2013/test")]
    public void ApplyEdram_InputColumnNamedLikeALabel_KeepsTheUserColumn()
    {
        var rows = TestModels.FerTest(1);
        var data = _ml.Data.LoadFromEnumerable(rows.Select(r => new HappyRow { Path = r.Path, happy = "user value" }).ToList());
        var view = Pipeline(TestModels.Small).Fit(data).Transform(data);
        Assert.All(view.GetColumn<string>("happy"), v => Assert.Equal("user value", v));
        VBuffer<ReadOnlyMemory<char>> names = default;
        view.Schema["Score"].GetSlotNames(ref names);
        Assert.Equal("happy", names.GetItemOrDefault(3).ToString());
    }

    [SharedDataFact("fer2013/test")]
    public void ApplyEdram_BadRows_NaNScoresMissingKeyAndNoAbort()
    {
        var dir = TestModels.TempFolder("bad");
        var corrupt = Path.Combine(dir, "x.jpg");
        File.WriteAllBytes(corrupt, [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
        var rows = TestModels.FerTest(1).Take(2).Concat([(corrupt, "happy"), (Path.Combine(dir, "gone.png"), "sad")]).ToList();
        var scored = _ml.Data.CreateEnumerable<Scored>(Pipeline(TestModels.Small).Fit(Rows(rows)).Transform(Rows(rows)), false).ToList();
        Assert.Equal(4, scored.Count);
        Assert.All(scored.Take(2), s => Assert.True(s.PredictedLabel > 0 && s.Error == ""));
        foreach (var bad in scored.Skip(2))
        {
            Assert.Equal(0u, bad.PredictedLabel);
            Assert.All(bad.Score, p => Assert.True(float.IsNaN(p)));
            Assert.Empty(bad.Glimpses);
            Assert.NotEqual("", bad.Error);
        }
        Assert.Contains("gone.png", scored[3].Error);
    }

    [SharedDataFact("fer2013/test")]
    public void ApplyEdram_DefaultPreprocessing_ImageWithoutFace_NoLabelAndStatusNoFace()
    {
        var dir = TestModels.TempFolder("noface");
        var gradient = Path.Combine(dir, "gradient.png");
        using (var m = new OpenCvSharp.Mat(160, 200, OpenCvSharp.MatType.CV_8UC1))
        {
            for (var y = 0; y < 160; y++) for (var x = 0; x < 200; x++) m.Set(y, x, (byte)((x + 2 * y) % 256));
            OpenCvSharp.Cv2.ImWrite(gradient, m);
        }
        var rows = new[] { (gradient, "happy") };
        var pipeline = _ml.Transforms.PreprocessFace("Face", "Path", new PreprocessOptions())   // defaults: YuNet, no face → no label
            .Append(_ml.Transforms.ApplyEdram(new EdramScoringOptions { ModelFile = TestModels.Small }));
        var view = pipeline.Fit(Rows(rows)).Transform(Rows(rows));
        var scored = Assert.Single(_ml.Data.CreateEnumerable<Scored>(view, false));
        Assert.Equal(0u, scored.PredictedLabel);
        Assert.All(scored.Score, p => Assert.True(float.IsNaN(p)));
        Assert.False(scored.FaceFound);
        Assert.Contains("no face found", scored.Error);
        Assert.Equal("NoFace", Assert.Single(view.GetColumn<string>("PreprocessStatus")));
    }

    [Fact]
    public void ApplyEdram_NotAnEdramModel_FailsAtFitNamingFile()
    {
        var dir = TestModels.TempFolder("notedram");
        var bogus = Path.Combine(dir, "bogus.onnx");
        File.WriteAllText(bogus, "this is not onnx");
        var data = _ml.Data.LoadFromEnumerable([new BytesRow()]);
        var e = Assert.ThrowsAny<Exception>(() => _ml.Transforms.ApplyEdram(bogus, "Face").Fit(data));
        Assert.Contains("bogus.onnx", e.Message);
        Assert.Contains("not a loadable ONNX model", e.Message);
    }

    [SharedDataFact("face_detectors/face_detection_yunet_2023mar.onnx")]
    public void ApplyEdram_OnnxThatIsNotEdram_FailsNamingFileAndMissingMetadata()
    {
        var yunet = SharedData.Path("face_detectors", "face_detection_yunet_2023mar.onnx");
        var data = _ml.Data.LoadFromEnumerable([new BytesRow()]);
        var e = Assert.Throws<InvalidDataException>(() => _ml.Transforms.ApplyEdram(yunet, "Face").Fit(data));
        Assert.Contains("face_detection_yunet_2023mar.onnx' is not an EDRAM model: metadata key 'edram.labels' is missing", e.Message);
    }

    [Fact]
    public void ApplyEdram_WrongInputColumnType_FailsNamingColumn()
    {
        var data = _ml.Data.LoadFromEnumerable([new LabeledRow { Path = "a.jpg" }]);
        var e = Assert.ThrowsAny<ArgumentException>(() => _ml.Transforms.ApplyEdram(TestModels.Small, "Path").Fit(data));
        Assert.Contains("Schema mismatch for input column 'Path': expected Vector<Byte> (preprocessed face, e.g. from PreprocessFace), got String", e.Message);
    }

    [SharedDataFact("fer2013/test")]
    public void SaveLoad_FreshProcess_SamePredictionsAndGpuOptionsKept()
    {
        var rows = TestModels.FerTest(2);
        // GPU 0 with fallback: on a machine without CUDA this runs on CPU, quietly; the settings must survive the zip.
        var model = Pipeline(TestModels.Small, gpu: 0, fallback: true).Fit(Rows(rows));
        var dir = TestModels.TempFolder("fresh");
        var zip = Path.Combine(dir, "pipeline.zip");
        _ml.Model.Save(model, Rows(rows).Schema, zip);

        var inProcess = _ml.Data.CreateEnumerable<Scored>(model.Transform(Rows(rows)), false).ToList();
        using var reloaded = new MLContext(seed: 3).Model.LoadEdram(zip);
        Assert.NotNull(reloaded.InputSchema.GetColumnOrNull("Path"));
        var state = Assert.Single(EdramPipeline.FindScoring(_ml, reloaded));
        Assert.Equal(0, state.GpuDeviceId);
        Assert.True(state.FallbackToCpu);
        Assert.Equal(EdramModelInfo.Hash(TestModels.Small), state.Sha256);
        Assert.Equal(inProcess.Select(s => s.Score), _ml.Data.CreateEnumerable<Scored>(reloaded.Transform(Rows(rows)), false).Select(s => s.Score));

        var pathsFile = Path.Combine(dir, "paths.txt");
        File.WriteAllLines(pathsFile, rows.Select(r => r.Path));
        var output = Path.Combine(dir, "out.tsv");
        RunLoadCheck(zip, "Path", pathsFile, output);
        var lines = File.ReadAllLines(output);
        Assert.Equal(rows.Count, lines.Length);
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < rows.Count; i++)
        {
            var f = lines[i].Split('\t');
            Assert.Equal(inProcess[i].PredictedLabel.ToString(inv), f[0]);
            Assert.Equal(inProcess[i].Score, f[1].Split(',').Select(x => float.Parse(x, inv)));
            Assert.Equal("0/True", f[4]);
        }
    }

    [Fact]
    public void OrtSessions_GpuWithoutFallbackOnCpuOnlyMachine_ThrowsNamingLibrary()
    {
        if (OrtSessions.MissingCudaLibrary is not { } missing)
        {
            // CUDA present: the GPU session must really use it.
            var (session, device) = OrtSessions.Create(TestModels.Small, 0, fallbackToCpu: false);
            using (session) Assert.True(device.IsGpu);
            return;
        }
        var e = Assert.Throws<InvalidOperationException>(() => OrtSessions.Create(TestModels.Small, 0, fallbackToCpu: false));
        Assert.Contains(missing, e.Message);
        var (cpu, fallback) = OrtSessions.Create(TestModels.Small, 0, fallbackToCpu: true);
        using (cpu)
        {
            Assert.False(fallback.IsGpu);
            Assert.Contains(missing, fallback.FallbackReason);
        }
    }

    [SharedDataFact("fer2013/test")]
    public void Evaluate_FerPublicTest_EqualsDirectOrtLoop()
    {
        var rows = TestModels.FerTest(30); // 30 per class (disgust too): 210 images
        var model = Pipeline(TestModels.Small)
            .Append(_ml.Transforms.Conversion.MapLabelToKey("Label", TestModels.Labels, "LabelText"))
            .Fit(Rows(rows));
        var metrics = _ml.MulticlassClassification.Evaluate(model.Transform(Rows(rows)), "Label", "Score", "PredictedLabel");

        using var scorer = EdramScorer.Load(TestModels.Small);
        using var vision = new FacePreprocessor(NoDetection);
        var batch = scorer.Score(rows.Select(r => vision.ProcessFile(r.Path).Pixels).ToList());
        int correct = 0;
        double logLoss = 0;
        var perClass = new int[7];
        for (var i = 0; i < rows.Count; i++)
        {
            var truth = Array.IndexOf(TestModels.Labels, rows[i].Label);
            if (batch.Predicted[i] == truth) { correct++; perClass[truth]++; }
            logLoss -= Math.Log(Math.Max(batch.ProbabilitiesOf(i)[truth], 1e-15));
        }
        Assert.Equal((double)correct / rows.Count, metrics.MicroAccuracy, 12);
        Assert.Equal(perClass.Average(c => c / 30.0), metrics.MacroAccuracy, 12);
        Assert.Equal(logLoss / rows.Count, metrics.LogLoss, 5);
        Assert.Equal(rows.Count, (int)metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()));
    }

    [Fact]
    public void MapLabelToKey_UnknownLabels_ErrorNamesThemAndCaseIsIgnored()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { "Happy", "SAD", "contempt", "happy", "bored" }.Select(l => new LabeledRow { LabelText = l }).ToList());
        var e = Assert.Throws<InvalidDataException>(() => _ml.Transforms.Conversion.MapLabelToKey("Label", TestModels.Labels, "LabelText").Fit(data));
        Assert.Contains("'bored', 'contempt'", e.Message);
        var known = _ml.Data.LoadFromEnumerable(new[] { "Happy", "SAD", "angry" }.Select(l => new LabeledRow { LabelText = l }).ToList());
        var keys = _ml.Transforms.Conversion.MapLabelToKey("Label", TestModels.Labels, "LabelText").Fit(known).Transform(known).GetColumn<uint>("Label");
        Assert.Equal([4u, 6u, 1u], keys);
    }

    internal static void RunLoadCheck(string zip, string column, string paths, string output)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory); // tests/EdramFer.ML.Tests/bin/<Config>/<tfm>/
        var dll = Path.Combine(SharedData.RepoRoot, "tests", "EdramFer.ML.LoadCheck", "bin", testBin.Parent!.Name, testBin.Name, "EdramFer.ML.LoadCheck.dll");
        Assert.True(File.Exists(dll), $"{dll} not built (it is a build dependency of this test project)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { dll, zip, column, paths, output }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "LoadCheck timed out");
        Assert.True(process.ExitCode == 0, $"LoadCheck failed ({process.ExitCode}): {stderr.Result}");
    }

    private sealed class BytesRow
    {
        [VectorType] public byte[] Face { get; set; } = [1, 2, 3];
    }

    private sealed class HappyRow
    {
        public string Path { get; set; } = "";
        public string happy { get; set; } = "";
    }
}
