using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EdramFer.ML.Tests;

/// <summary>mlContext.Model.LoadEdram, ownership of sessions and detectors, device visibility, path resolution.</summary>
public class EdramModelTests
{
    private static PreprocessOptions NoDetection => new() { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage };

    private sealed class PathRow
    {
        public string Path { get; set; } = "";
    }

    private sealed class Scored
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
        public string Error { get; set; } = "";
    }

    private static IDataView Paths(MLContext ml, IEnumerable<string> paths) =>
        ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { Path = p }).ToList());

    /// <summary>Fits PreprocessFace + ApplyEdram with relative image paths and saves it in <paramref name="folder"/>/pipelines.</summary>
    private static (string Zip, List<Scored> Expected) SaveRelative(string folder, IReadOnlyList<string> names)
    {
        var ml = new MLContext(seed: 0);
        var pipelines = Path.Combine(folder, "pipelines");
        Directory.CreateDirectory(pipelines);
        var images = Path.Combine(folder, "images");
        var data = Paths(ml, names);
        var fitted = ml.Transforms.PreprocessFace(new FaceCroppingOptions
            {
                OutputColumnName = "Face", InputColumnName = "Path", Preprocess = NoDetection, ImageFolder = images, PipelineFolder = pipelines,
            })
            .Append(ml.Transforms.ApplyEdram(new EdramScoringOptions { ModelFile = Path.Combine(folder, "x.onnx"), PipelineFolder = pipelines }))
            .Fit(data);
        var zip = Path.Combine(pipelines, "x.zip");
        ml.Model.Save(fitted, data.Schema, zip);
        var expected = ml.Data.CreateEnumerable<Scored>(fitted.Transform(data), false).ToList();
        fitted.LastTransformer.Dispose();
        return (zip, expected);
    }

    private static string FolderWithImages(int count)
    {
        var folder = TestModels.TempFolder("relative");
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        File.Copy(TestModels.Small, Path.Combine(folder, "x.onnx"));
        foreach (var (path, _) in TestModels.FerTest(1).Take(count)) File.Copy(path, Path.Combine(folder, "images", Path.GetFileName(path)));
        return folder;
    }

    [SharedDataFact("fer2013/test")]
    public void LoadEdram_ImageFolderSavedRelativeToZip_MovedTogetherScoresIdentically()
    {
        var folder = FolderWithImages(2);
        var names = Directory.GetFiles(Path.Combine(folder, "images")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;
        var (zip, expected) = SaveRelative(folder, names!);
        var moved = folder + "-moved";
        Directory.Move(folder, moved);
        var ml = new MLContext(seed: 1);
        using var model = ml.Model.LoadEdram(Path.Combine(moved, "pipelines", Path.GetFileName(zip)));
        var actual = ml.Data.CreateEnumerable<Scored>(model.Transform(Paths(ml, names!)), false).ToList();
        Assert.All(actual, a => Assert.Equal("", a.Error));
        Assert.Equal(expected.Select(e => e.Score), actual.Select(a => a.Score));
    }

    [SharedDataFact("fer2013/test")]
    public void LoadEdram_MissingImage_ErrorNamesFullPathAndImageFolder()
    {
        var folder = FolderWithImages(1);
        var (zip, _) = SaveRelative(folder, ["gone.jpg"]);
        var ml = new MLContext(seed: 1);
        using var model = ml.Model.LoadEdram(zip);
        var row = Assert.Single(ml.Data.CreateEnumerable<Scored>(model.Transform(Paths(ml, ["gone.jpg"])), false));
        Assert.Contains(Path.Combine(folder, "images", "gone.jpg"), row.Error);
        Assert.Contains($"relative paths are looked for in the image folder '{Path.Combine(folder, "images")}'", row.Error);
    }

    [SharedDataFact("fer2013/test")]
    public void PlainModelLoad_EdramPipeline_FailsAtLoadPointingToLoadEdram()
    {
        var (zip, _) = SaveRelative(FolderWithImages(1), ["a.jpg"]);
        var ml = new MLContext(seed: 1).RegisterTransforms();
        // Before: the load succeeded and every row failed later, resolving the model against the working directory.
        var e = Assert.ThrowsAny<Exception>(() => ml.Model.Load(zip, out _));
        Assert.Contains("mlContext.Model.LoadEdram", e.ToString());
    }

    [SharedDataFact("fer2013/test")]
    public void Dispose_LoadedModel_ReleasesSessionsSoRowsFail()
    {
        var folder = FolderWithImages(1);
        var name = Path.GetFileName(Directory.GetFiles(Path.Combine(folder, "images")).Single());
        var (zip, _) = SaveRelative(folder, [name]);
        var ml = new MLContext(seed: 1);
        var model = ml.Model.LoadEdram(zip);
        Assert.Single(ml.Data.CreateEnumerable<Scored>(model.Transform(Paths(ml, [name])), false));
        model.Dispose();
        var e = Assert.ThrowsAny<Exception>(() => ml.Data.CreateEnumerable<Scored>(model.Transform(Paths(ml, [name])), false).ToList());
        Assert.IsType<ObjectDisposedException>(e.GetBaseException());
    }

    [SharedDataFact("fer2013/test")]
    public void PipelineImageScorer_Dispose_DisposesItsSession()
    {
        var folder = FolderWithImages(1);
        var image = Directory.GetFiles(Path.Combine(folder, "images")).Single();
        var (zip, _) = SaveRelative(folder, [image]);
        var scorer = new PipelineImageScorer(zip);
        Assert.Equal("", Assert.Single(scorer.Score([image])).Error);
        scorer.Dispose();
        var e = Assert.ThrowsAny<Exception>(() => scorer.Score([image]));
        Assert.IsType<ObjectDisposedException>(e.GetBaseException());
    }

    [Fact]
    public void GetOutputSchema_BrokenDetectorFile_DoesNotOpenDetectorsButFitFails()
    {
        var ml = new MLContext(seed: 0);
        var broken = Path.Combine(TestModels.TempFolder("nodetector"), "broken-yunet.onnx");
        File.WriteAllText(broken, "not an onnx model");
        var estimator = ml.Transforms.DetectAndCropFace("Face", "Path", new PreprocessOptions { Detectors = [DetectorKind.YuNet], YuNetModelPath = broken });
        var data = Paths(ml, ["a.jpg"]);
        // ML.NET keeps SchemaShape.Create(DataViewSchema) internal; it is what EstimatorChain.Fit calls first.
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!;
        var shape = estimator.GetOutputSchema((SchemaShape)create.Invoke(null, [data.Schema])!);
        Assert.Contains(shape, c => c.Name == "Face");
        Assert.ThrowsAny<Exception>(() => estimator.Fit(data)); // Fit opens the detector
    }

    [Fact]
    public void ApplyEdram_GpuWithFallback_DeviceAndLogLineSayWhichRan()
    {
        var ml = new MLContext(seed: 0);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var data = ml.Data.LoadFromEnumerable([new BytesRow()]);
        using var fitted = ml.Transforms.ApplyEdram(TestModels.Small, gpuDeviceId: 0, fallbackToCpu: true).Fit(data);
        if (OrtSessions.MissingCudaLibrary is { } missing)
        {
            Assert.Equal("cpu", fitted.Device.Name);
            Assert.Contains(missing, fitted.Device.FallbackReason);
            Assert.Contains(log, l => l.Contains($"runs on cpu, not on the GPU requested: CUDA library {missing}"));
        }
        else
        {
            Assert.Equal("cuda:0", fitted.Device.Name);
            Assert.Null(fitted.Device.FallbackReason);
            Assert.Contains(log, l => l.Contains("runs on cuda:0"));
        }
        Assert.Contains(log, l => l.Contains(Path.GetFileName(TestModels.Small)));
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void LoadEdram_ShippedPipelineSavedBeforeTheRedesign_ScoresLikeVisionAndOnnxRuntime()
    {
        var zip = Path.Combine(SharedData.RepoRoot, "pipelines", "edram-fer2013.zip");
        var onnx = Path.Combine(SharedData.RepoRoot, "onnx", "edram-fer2013.onnx");
        var paths = TestModels.Muxspace(3);
        var ml = new MLContext(seed: 0);
        using var model = ml.Model.LoadEdram(zip);
        Assert.Equal("cpu", Assert.Single(model.Devices).Name);
        var column = model.InputSchema.Single(c => c.Type is TextDataViewType).Name;
        var definition = SchemaDefinition.Create(typeof(PathRow));
        definition[nameof(PathRow.Path)].ColumnName = column;
        var view = ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { Path = p }).ToList(), definition);
        var scored = ml.Data.CreateEnumerable<Scored>(model.Transform(view), false).ToList();

        using var scorer = EdramScorer.Load(onnx);
        var preprocess = scorer.Info.Preprocess with { YuNetModelPath = ShippedModels.YuNetPath, SsdModelPath = ShippedModels.SsdModelPath, SsdConfigPath = ShippedModels.SsdConfigPath };
        using var vision = new FacePreprocessor(preprocess);
        for (var i = 0; i < paths.Count; i++)
        {
            var expected = scorer.Score([vision.ProcessFile(paths[i]).Pixels]);
            Assert.Equal(expected.ProbabilitiesOf(0).ToArray(), scored[i].Score);
        }
    }

    [SharedDataFact("muxspace_facial_expressions/images")]
    public void LoadEdram_ShippedPipelineInAnotherProcess_LoadsAlthoughSavedByAnotherAssemblyVersion()
    {
        // The zip names "EdramFer.ML, Version=1.0.0.0"; the library is 0.9.0 now. A test host's resolver binds any
        // version, so only a plain process shows whether an app can load it (before the fix: FileNotFoundException).
        var zip = Path.Combine(SharedData.RepoRoot, "pipelines", "edram-fer2013.zip");
        var ml = new MLContext(seed: 0);
        using var model = ml.Model.LoadEdram(zip);
        var column = model.InputSchema.Single(c => c.Type is TextDataViewType).Name;
        Assert.NotEqual(new Version(1, 0, 0, 0), typeof(EdramModel).Assembly.GetName().Version);
        var folder = TestModels.TempFolder("shipped-other-process");
        var paths = Path.Combine(folder, "paths.txt");
        File.WriteAllLines(paths, TestModels.Muxspace(2));
        var output = Path.Combine(folder, "out.tsv");
        ApplyEdramTests.RunLoadCheck(zip, column, paths, output);
        var definition = SchemaDefinition.Create(typeof(PathRow));
        definition[nameof(PathRow.Path)].ColumnName = column;
        var view = ml.Data.LoadFromEnumerable(File.ReadAllLines(paths).Select(p => new PathRow { Path = p }).ToList(), definition);
        var expected = ml.Data.CreateEnumerable<Scored>(model.Transform(view), false).ToList();
        var rows = File.ReadAllLines(output);
        Assert.Equal(expected.Count, rows.Length);
        for (var i = 0; i < rows.Length; i++)
            Assert.Equal(expected[i].Score, rows[i].Split('\t')[1].Split(',').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)));
    }

    private sealed class BytesRow
    {
        [VectorType(100 * 100)] public byte[] Face { get; set; } = new byte[100 * 100];
    }
}
