using EdramFer.Tests.Shared;
using EdramFer.Training.Model;
using EdramFer.Training.Onnx;
using EdramFer.Training.Train;

namespace EdramFer.ML.Tests;

/// <summary>Random-weights EDRAM exports made once per test run (no trained model exists yet), plus temp folders.</summary>
public static class TestModels
{
    /// <summary>FER2013's class folders, in the order the fixture model uses.</summary>
    public static readonly string[] Labels = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"];

    private static readonly Lazy<string> Folder = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "edramfer-ml-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } // best effort
        };
        return dir;
    });

    private static readonly Lazy<string> SmallLazy = new(() =>
    {
        // cpu preset with 2 glimpses: 20 MB, exported and parity-checked in about 4 s.
        var path = Path.Combine(Folder.Value, "edram-cpu2.onnx");
        EdramOnnxExporter.ExportRandom(path, EdramConfig.Cpu with { Steps = 2 }, Labels, seed: 7);
        return path;
    });

    /// <summary>A random-weights cpu-preset model with 2 steps and the FER2013 labels.</summary>
    public static string Small => SmallLazy.Value;

    private static readonly Lazy<string> SmallValenceArousalLazy = new(() =>
    {
        // Same network as Small, but its metadata says the valence/arousal head was trained, so consumers report it.
        var path = Path.Combine(Folder.Value, "edram-cpu2-va.onnx");
        var config = EdramConfig.Cpu with { Steps = 2 };
        using var model = EdramOnnxExporter.CreateRandomModel(config, seed: 7);
        EdramOnnxExporter.Export(model, new TrainState { Config = config, Labels = Labels, HasValenceArousal = true }, path, new OnnxExportOptions());
        return path;
    });

    /// <summary><see cref="Small"/> with <c>edram.has_valence_arousal = true</c>.</summary>
    public static string SmallValenceArousal => SmallValenceArousalLazy.Value;

    /// <summary>A new empty folder under the run's temp folder.</summary>
    public static string TempFolder(string name)
    {
        var dir = Path.Combine(Folder.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The first <paramref name="perClass"/> FER2013 PublicTest images of each class (sorted by name), with labels.</summary>
    public static IReadOnlyList<(string Path, string Label)> FerTest(int perClass) =>
        Labels.SelectMany(l => Directory.GetFiles(SharedData.Path("fer2013", "test", l), "*.jpg")
            .Order(StringComparer.Ordinal).Take(perClass).Select(p => (p, l))).ToList();

    /// <summary>The first <paramref name="count"/> muxspace photos (sorted by name).</summary>
    public static IReadOnlyList<string> Muxspace(int count) =>
        Directory.GetFiles(SharedData.Path("muxspace_facial_expressions", "images"), "*.jpg").Order(StringComparer.Ordinal).Take(count).ToList();
}
