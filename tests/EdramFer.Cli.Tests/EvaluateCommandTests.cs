using System.Globalization;
using System.Text.Json;
using EdramFer.ML;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using EdramFer.Vision;
using Microsoft.ML.OnnxRuntime;

namespace EdramFer.Cli.Tests;

/// <summary><c>edram evaluate</c> run in process (CommandAppTester), checked against a direct ONNX Runtime loop over the same tensors.</summary>
public class EvaluateCommandTests
{
    /// <summary>FER2013 PublicTest images, 4 + class index of each class (uneven, so no constant guess scores 1/7).</summary>
    private static List<(string Path, string Label)> FerRows() =>
        TestModels.Labels.SelectMany((l, i) => Directory.GetFiles(SharedData.Path("fer2013", "test", l), "*.jpg")
            .Order(StringComparer.Ordinal).Take(4 + i).Select(p => (p, l))).ToList();

    /// <summary>Model outputs for each path: preprocessing with detection off, then ONNX Runtime at batch 1.</summary>
    private static List<(float[] Probabilities, float[] ValenceArousal)> DirectOrt(string model, IEnumerable<string> paths)
    {
        var info = EdramModelInfo.Read(model);
        using var vision = new FacePreprocessor(info.Preprocess with { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage });
        using var session = new InferenceSession(model);
        using var run = new RunOptions();
        var outputs = new List<(float[], float[])>();
        foreach (var path in paths)
        {
            var input = vision.ProcessFile(path).Pixels!.Select(b => b * info.InputScale + info.InputOffset).ToArray();
            using var tensor = OrtValue.CreateTensorValueFromMemory(input, [1, 1, info.InputSize, info.InputSize]);
            using var result = session.Run(run, ["image"], [tensor], ["probabilities", "valence_arousal"]);
            outputs.Add((result[0].GetTensorDataAsSpan<float>().ToArray(), result[1].GetTensorDataAsSpan<float>().ToArray()));
        }
        return outputs;
    }

    private static JsonElement ReadReport(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [SharedDataFact("fer2013/test")]
    public void Evaluate_FerPublicTestWithMissingFile_MetricsEqualDirectOrtLoopAndErrorCounted()
    {
        var dir = TestModels.TempFolder("evaluate");
        var rows = FerRows();
        // Relative paths (against the CSV's folder), labels in mixed case, and one file that does not exist.
        var lines = rows.Select((r, i) => $"{Path.GetRelativePath(dir, r.Path)},{(i % 2 == 0 ? r.Label.ToUpperInvariant() : r.Label)}").ToList();
        lines.Insert(5, "imgs/missing.jpg,happy");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path,label", .. lines]);

        var (code, output) = ScoreCommandTests.Edram(dir, "evaluate", "--model", TestModels.Small, "--input", "in.csv", "--detector", "none",
            "--batch-size", "8", "--report", "metrics.json", "--reliability-plot", "reliability.png");
        Assert.True(code == 0, output);
        var report = ReadReport(Path.Combine(dir, "metrics.json"));

        var direct = DirectOrt(TestModels.Small, rows.Select(r => r.Path));
        var classes = TestModels.Labels.Length;
        var confusion = new long[classes, classes];
        double logLoss = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var p = direct[i].Probabilities;
            var truth = Array.IndexOf(TestModels.Labels, rows[i].Label);
            confusion[truth, Array.IndexOf(p, p.Max())]++;
            logLoss -= Math.Log(Math.Max(p[truth], 1e-15));
        }
        var correct = Enumerable.Range(0, classes).Sum(i => confusion[i, i]);

        Assert.Equal(rows.Count, report.GetProperty("count").GetInt32());
        Assert.Equal(1, report.GetProperty("errors").GetInt32());
        Assert.Equal((double)correct / rows.Count, report.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(Enumerable.Range(0, classes).Average(i => confusion[i, i] / (4.0 + i)), report.GetProperty("mean_per_class_accuracy").GetDouble(), 12);
        Assert.Equal(logLoss / rows.Count, report.GetProperty("log_loss").GetDouble(), 5);
        Assert.Equal(TestModels.Labels, report.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var matrix = report.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        for (var t = 0; t < classes; t++)
        for (var p = 0; p < classes; p++)
            Assert.Equal(confusion[t, p], matrix[t][p]);
        var perClass = report.GetProperty("per_class_accuracy");
        for (var t = 0; t < classes; t++)
            Assert.Equal(confusion[t, t] / (4.0 + t), perClass.GetProperty(TestModels.Labels[t]).GetDouble(), 12);
        Assert.False(report.TryGetProperty("valence_rmse", out _), "no valence column, no valence metric");
        // Calibration: 15 bins of the top probability, ECE recomputed from the direct ONNX Runtime loop.
        var top = Enumerable.Range(0, rows.Count).Select(i => ((double)direct[i].Probabilities.Max(),
            TestModels.Labels[Array.IndexOf(direct[i].Probabilities, direct[i].Probabilities.Max())] == rows[i].Label)).ToList();
        Assert.Equal(Contracts.Calibration.ExpectedCalibrationError(Contracts.Calibration.Bins(top)), report.GetProperty("expected_calibration_error").GetDouble(), 5);
        Assert.Equal(15, report.GetProperty("reliability").GetArrayLength());
        Assert.Equal(rows.Count, report.GetProperty("reliability").EnumerateArray().Sum(b => b.GetProperty("count").GetInt64()));
        using (var plot = OpenCvSharp.Cv2.ImRead(Path.Combine(dir, "reliability.png"))) Assert.False(plot.Empty());

        var flat = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains($"1 of {rows.Count + 1} rows failed preprocessing and are excluded", flat);
        Assert.Contains("imgs/missing.jpg", flat);
        Assert.Contains("surprise", flat); // the confusion table names the classes
    }

    [SharedDataFact("fer2013/test")]
    public void Evaluate_LabelMap_RenamedRowsScoredAsTheModelsLabelsAndEmptyTargetsLeftOut()
    {
        var dir = TestModels.TempFolder("evaluate-label-map");
        var rows = FerRows();
        string Renamed(string label) => label switch { "angry" => "anger", "happy" => "Happiness", _ => label };
        File.WriteAllLines(Path.Combine(dir, "model-names.csv"), ["path,label", .. rows.Select(r => $"{r.Path},{r.Label}")]);
        // The dataset's own names, two rows of a class the model lacks, and a missing file (no score: wrong on every row).
        File.WriteAllLines(Path.Combine(dir, "own-names.csv"),
            ["path,label", .. rows.Select(r => $"{r.Path},{Renamed(r.Label)}"), $"{rows[0].Path},contempt", $"{rows[1].Path},Contempt", "missing.jpg,sadness"]);

        var (code, output) = ScoreCommandTests.Edram(dir, "evaluate", "--model", TestModels.Small, "--input", "own-names.csv", "--detector", "none",
            "--label-map", "anger=angry, happiness=happy,sadness=sad,contempt=", "--report", "mapped.json");
        Assert.True(code == 0, output);
        var flat = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains($"Evaluating {rows.Count + 1} rows of own-names.csv", flat);
        Assert.Contains("(2 left out by --label-map)", flat);
        Assert.Contains($"1 of {rows.Count + 1} rows failed preprocessing", flat); // the left-out rows are not counted
        (code, output) = ScoreCommandTests.Edram(dir, "evaluate", "--model", TestModels.Small, "--input", "model-names.csv", "--detector", "none",
            "--report", "plain.json");
        Assert.True(code == 0, output);

        var mapped = ReadReport(Path.Combine(dir, "mapped.json"));
        var plain = ReadReport(Path.Combine(dir, "plain.json"));
        Assert.Equal(rows.Count, mapped.GetProperty("count").GetInt32());
        Assert.Equal(2, mapped.GetProperty("left_out_by_label_map").GetInt64());
        Assert.Equal(1, mapped.GetProperty("errors").GetInt32());
        Assert.Equal(plain.GetProperty("accuracy").GetDouble(), mapped.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(plain.GetProperty("confusion_matrix").ToString(), mapped.GetProperty("confusion_matrix").ToString());
        Assert.Equal(plain.GetProperty("accuracy").GetDouble(), plain.GetProperty("accuracy_all_rows").GetDouble(), 12);
        Assert.Equal(plain.GetProperty("accuracy").GetDouble() * rows.Count / (rows.Count + 1), mapped.GetProperty("accuracy_all_rows").GetDouble(), 12);
    }

    [Theory]
    [InlineData("anger", "'anger' is not FROM=TO")]
    [InlineData("=angry", "'=angry' is not FROM=TO")]
    [InlineData("anger=angry,Anger=mad", "names 'Anger' twice")]
    [InlineData("angry=,disgust=,fear=,happy=,neutral=,sad=,surprise=", "--label-map leaves out all")]
    public void Evaluate_BadLabelMap_ExitsOneSayingWhy(string map, string message)
    {
        var dir = TestModels.TempFolder("evaluate-bad-map");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path,label", "a.jpg,happy", "b.jpg,sad"]);
        var (code, output) = ScoreCommandTests.Edram(dir, "evaluate", "--model", TestModels.Small, "--input", "in.csv", "--label-map", map);
        Assert.Equal(1, code);
        Assert.Contains(message, System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
    }

    [Fact]
    public void Evaluate_UnknownLabels_ExitsOneNamingThem()
    {
        var dir = TestModels.TempFolder("evaluate-unknown");
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path,emotion", "a.jpg,happy", "b.jpg,contempt", "c.jpg,Bored", "d.jpg,SAD"]);
        var (code, output) = ScoreCommandTests.Edram(dir, "evaluate", "--model", TestModels.Small, "--input", "in.csv", "--label-column", "emotion",
            "--report", "metrics.json");
        Assert.Equal(1, code);
        var flat = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
        Assert.Contains("Column 'emotion' has labels the model does not know: 'Bored', 'contempt'", flat);
        Assert.DoesNotContain("'SAD'", flat);
        Assert.False(File.Exists(Path.Combine(dir, "metrics.json")));
    }

    [SharedDataFact("fer2013/test")]
    public void Evaluate_ValenceArousalColumns_RmseAndCccEqualDirectComputation()
    {
        var dir = TestModels.TempFolder("evaluate-va");
        var rows = FerRows().Where((_, i) => i % 2 == 0).ToList();
        // Synthetic targets in [-1, 1]; row 3's valence is empty and row 4's arousal is AffectNet's "none" (-2): left out.
        var valence = rows.Select((_, i) => i == 3 ? (double?)null : Math.Round(Math.Sin(i * 0.7), 4)).ToList();
        var arousal = rows.Select((_, i) => i == 4 ? -2.0 : Math.Round(0.9 * Math.Cos(i * 1.3), 4)).ToList();
        var inv = CultureInfo.InvariantCulture;
        File.WriteAllLines(Path.Combine(dir, "in.csv"), ["path,label,valence,arousal",
            .. rows.Select((r, i) => $"{r.Path},{r.Label},{valence[i]?.ToString(inv) ?? ""},{arousal[i].ToString(inv)}")]);

        var (code, output) = ScoreCommandTests.Edram(dir, "evaluate", "--model", TestModels.SmallValenceArousal, "--input", "in.csv", "--detector", "none",
            "--report", "metrics.json");
        Assert.True(code == 0, output);
        var report = ReadReport(Path.Combine(dir, "metrics.json"));
        var direct = DirectOrt(TestModels.SmallValenceArousal, rows.Select(r => r.Path));
        var v = Enumerable.Range(0, rows.Count).Where(i => valence[i] is not null).Select(i => ((double)direct[i].ValenceArousal[0], valence[i]!.Value)).ToList();
        var a = Enumerable.Range(0, rows.Count).Where(i => arousal[i] >= -1).Select(i => ((double)direct[i].ValenceArousal[1], arousal[i])).ToList();
        Assert.Equal(Rmse(v), report.GetProperty("valence_rmse").GetDouble(), 6);
        Assert.Equal(Ccc(v), report.GetProperty("valence_ccc").GetDouble(), 6);
        Assert.Equal(Rmse(a), report.GetProperty("arousal_rmse").GetDouble(), 6);
        Assert.Equal(Ccc(a), report.GetProperty("arousal_ccc").GetDouble(), 6);
        Assert.Contains("valence ccc", output);

        // Same CSV, a model whose valence/arousal head was not trained: classification only, and it says why.
        var (plain, plainOutput) = ScoreCommandTests.Edram(dir, "evaluate", "--model", TestModels.Small, "--input", "in.csv", "--detector", "none",
            "--report", "plain.json");
        Assert.True(plain == 0, plainOutput);
        Assert.False(ReadReport(Path.Combine(dir, "plain.json")).TryGetProperty("valence_rmse", out _));
        Assert.Contains("head was not trained", System.Text.RegularExpressions.Regex.Replace(plainOutput, @"\s+", " "));
    }

    private static double Rmse(List<(double Predicted, double Truth)> pairs) => Math.Sqrt(pairs.Average(p => (p.Predicted - p.Truth) * (p.Predicted - p.Truth)));

    /// <summary>Lin's concordance correlation coefficient, population moments.</summary>
    private static double Ccc(List<(double Predicted, double Truth)> pairs)
    {
        double mx = pairs.Average(p => p.Predicted), my = pairs.Average(p => p.Truth);
        var vx = pairs.Average(p => (p.Predicted - mx) * (p.Predicted - mx));
        var vy = pairs.Average(p => (p.Truth - my) * (p.Truth - my));
        var cov = pairs.Average(p => (p.Predicted - mx) * (p.Truth - my));
        return 2 * cov / (vx + vy + (mx - my) * (mx - my));
    }
}
