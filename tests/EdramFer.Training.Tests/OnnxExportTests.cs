using EdramFer.Contracts;
using EdramFer.Training.Model;
using EdramFer.Training.Onnx;
using EdramFer.Training.Train;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

/// <summary>ONNX Runtime vs TorchSharp eval on exported EDRAM graphs (small step counts keep the run short).</summary>
public sealed class OnnxExportTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private static readonly string[] Fer = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edram-onnx-tests-" + Guid.NewGuid().ToString("N"));

    public OnnxExportTests() => Directory.CreateDirectory(_dir);
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string File(string name) => Path.Combine(_dir, name);

    private static void AssertParity(OnnxParity parity)
    {
        Assert.Equal(OnnxContract.OutputNames.OrderBy(n => n), parity.MaxAbsDiff.Keys.OrderBy(n => n));
        foreach (var (name, diff) in parity.MaxAbsDiff)
            Assert.True(diff <= Tolerance, $"{name}: max abs diff {diff:E2} > {Tolerance:E0} ({parity})");
    }

    /// <summary>Spread of a θ entry over images at one step: proves the glimpses depend on the image.</summary>
    private static double Spread(float[] glimpses, int images, int steps, int step, int entry)
    {
        var v = Enumerable.Range(0, images).Select(i => (double)glimpses[(i * steps + step) * 6 + entry]).ToArray();
        return v.Max() - v.Min();
    }

    [Fact]
    public void Export_RandomCpuPreset_MatchesTorchSharpOnAllOutputs()
    {
        var config = EdramConfig.Cpu with { Steps = 3 };
        using var model = EdramOnnxExporter.CreateRandomModel(config, seed: 1);
        var report = EdramOnnxExporter.Export(model, null, File("cpu.onnx"));
        AssertParity(report.Parity);
        Assert.Equal(8, report.Parity.Images);

        // Non-trivial: θ differs between images and steps, and some zooms sit below the clip.
        using var x = EdramOnnxExporter.ParityImages(100, 8, 5);
        var thetas = EdramOnnxExporter.RunOnnx(report.Path, x)[OnnxContract.GlimpsesName];
        for (int t = 0; t < 3; t++)
        {
            double move = Enumerable.Range(0, 6).Max(k => Spread(thetas, 8, 3, t, k));
            Assert.True(move > 0.01, $"θ of step {t} varies by only {move:E1} between images");
        }
        Assert.Contains(thetas.Where((_, i) => i % 6 == 0), z => z is > 0f and < 1f); // some zooms inside the clip range
    }

    [Fact]
    public void CreateRandomModel_InputChangedBy1e7_OutputsMoveFarLessThanTolerance()
    {
        // The parity tolerance only means something if the random model is not chaotic: TorchSharp must reproduce its own
        // outputs, to well under 1e-4, from an input changed at float rounding level.
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu, seed: 1);
        using var x = EdramOnnxExporter.ParityImages(100, 8, 3);
        using var gen = new TorchSharp.torch.Generator(4);
        using var noise = randn(x.shape, generator: gen);
        using var nudged = x * (1 + 1e-7 * noise);
        var a = EdramOnnxExporter.RunTorch(model, x);
        var b = EdramOnnxExporter.RunTorch(model, nudged);
        foreach (var name in OnnxContract.OutputNames)
        {
            double d = a[name].Zip(b[name], (p, q) => Math.Abs(p - q)).Max();
            Assert.True(d < Tolerance / 5, $"{name}: TorchSharp moved by {d:E2} for a 1e-7 input change");
        }
    }

    [Fact]
    public void Export_PaperPresetTwoSteps_MatchesTorchSharp()
    {
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Paper with { Steps = 2 }, seed: 2);
        var report = EdramOnnxExporter.Export(model, null, File("paper.onnx"), new OnnxExportOptions { ValidationBatch = 4 });
        AssertParity(report.Parity);
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.3f)]
    public void Export_ZoomLimited_MatchesAndRespectsLimit(float zoomLimit)
    {
        var config = EdramConfig.Cpu with { Steps = 3, ZoomLimit = zoomLimit };
        using var model = EdramOnnxExporter.CreateRandomModel(config, seed: 3);
        var report = EdramOnnxExporter.Export(model, null, File($"zoom{zoomLimit}.onnx"));
        AssertParity(report.Parity);
        using var x = EdramOnnxExporter.ParityImages(100, 8, 6);
        var thetas = EdramOnnxExporter.RunOnnx(report.Path, x)[OnnxContract.GlimpsesName];
        for (int i = 0; i < thetas.Length; i += 6)
        {
            Assert.InRange(thetas[i], 0f, zoomLimit);
            Assert.InRange(thetas[i + 4], 0f, zoomLimit);
        }
        Assert.Equal(zoomLimit.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ReadModel(report.Path).MetadataProps.Single(p => p.Key == "edram.zoom_limit").Value);
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(17, false)]
    [InlineData(20, true)]
    public void Export_OpsetAndBatchNormMode_MatchesTorchSharp(int opset, bool fold)
    {
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = 2 }, seed: 4);
        var report = EdramOnnxExporter.Export(model, null, File($"o{opset}{fold}.onnx"), new OnnxExportOptions { Opset = opset, FoldBatchNorm = fold });
        AssertParity(report.Parity);
        var onnx = ReadModel(report.Path);
        Assert.Equal(opset, onnx.OpsetImport.Single().Version);
        Assert.Equal(fold ? 0 : 2 * (6 + 1 + 2) + 3, onnx.Graph.Node.Count(n => n.OpType == "BatchNormalization")); // no "where" norms
    }

    [Fact]
    public void RunOnnx_BatchSizes1And7And64_GiveSamePerImageResults()
    {
        const int steps = 2;
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = steps }, seed: 5);
        var path = EdramOnnxExporter.Export(model, null, File("batch.onnx")).Path;
        using var all = EdramOnnxExporter.ParityImages(100, 64, 7);
        var big = EdramOnnxExporter.RunOnnx(path, all);
        AssertParity(EdramOnnxExporter.Compare(model, path, all));
        foreach (int n in new[] { 1, 7 })
        {
            using var part = all.narrow(0, 64 - n, n); // the last n images: offsets inside the big batch differ
            var small = EdramOnnxExporter.RunOnnx(path, part);
            foreach (var (name, values) in small)
            {
                int per = values.Length / n;
                for (int i = 0; i < values.Length; i++)
                {
                    float expected = big[name][(64 - n) * per + i];
                    Assert.True(Math.Abs(values[i] - expected) <= 1e-5, $"{name} batch {n}, element {i}: {values[i]} vs {expected} at batch 64");
                }
            }
        }
    }

    [Fact]
    public void Export_FlipAveraging_EqualsMeanOfPlainModelOnImageAndMirror()
    {
        const int steps = 3;
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = steps }, seed: 9);
        var plain = EdramOnnxExporter.Export(model, null, File("plain.onnx")).Path;
        var report = EdramOnnxExporter.Export(model, null, File("flip.onnx"), new OnnxExportOptions { FlipAveraging = true });
        AssertParity(report.Parity); // against TorchSharp run on the image and its mirror
        using var x = EdramOnnxExporter.ParityImages(100, 5, 11);
        using var mirrored = x.flip(3);
        var image = EdramOnnxExporter.RunOnnx(plain, x);
        var mirror = EdramOnnxExporter.RunOnnx(plain, mirrored);
        var flip = EdramOnnxExporter.RunOnnx(report.Path, x);
        foreach (var name in new[] { OnnxContract.ProbabilitiesName, OnnxContract.ValenceArousalName, OnnxContract.StepProbabilitiesName })
        {
            Assert.Equal(image[name].Length, flip[name].Length);
            for (int i = 0; i < flip[name].Length; i++)
                Assert.True(Math.Abs(flip[name][i] - (image[name][i] + mirror[name][i]) / 2) <= 1e-5, $"{name}[{i}]");
            Assert.True(image[name].Zip(mirror[name]).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, $"{name}: the mirror changed nothing");
        }
        Assert.Equal(image[OnnxContract.GlimpsesName].Length, flip[OnnxContract.GlimpsesName].Length);
        for (int i = 0; i < flip[OnnxContract.GlimpsesName].Length; i++)
            Assert.True(Math.Abs(flip[OnnxContract.GlimpsesName][i] - image[OnnxContract.GlimpsesName][i]) <= 1e-5, "glimpses are the image's own");
        using var one = x.narrow(0, 2, 1); // batch 1 splits into halves of one
        var single = EdramOnnxExporter.RunOnnx(report.Path, one)[OnnxContract.ProbabilitiesName];
        for (int i = 0; i < single.Length; i++) Assert.True(Math.Abs(single[i] - flip[OnnxContract.ProbabilitiesName][2 * single.Length + i]) <= 1e-5);
        using var session = new InferenceSession(report.Path);
        Assert.Equal("true", session.ModelMetadata.CustomMetadataMap["edram.flip_averaging"]);
        using var plainSession = new InferenceSession(plain);
        Assert.Equal("false", plainSession.ModelMetadata.CustomMetadataMap["edram.flip_averaging"]);
    }

    /// <summary>
    /// Temperature T in the graph: each step's probabilities are softmax(logits / T) — recomputed here from the T = 1
    /// export as softmax(log p / T) (log p differs from the logits by a constant per row) — recorded as edram.temperature;
    /// with mirror averaging each branch is scaled before the mean, as TorchSharp's parity run computes.
    /// </summary>
    [Fact]
    public void Export_Temperature_ScalesEveryStepsLogitsBeforeTheSoftmax()
    {
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = 3 }, seed: 21);
        var plain = EdramOnnxExporter.Export(model, null, File("t1.onnx")).Path;
        var report = EdramOnnxExporter.Export(model, null, File("t2.onnx"), new OnnxExportOptions { Temperature = 0.5 });
        AssertParity(report.Parity);
        AssertParity(EdramOnnxExporter.Export(model, null, File("t2flip.onnx"), new OnnxExportOptions { Temperature = 0.5, FlipAveraging = true }).Parity);
        using var x = EdramOnnxExporter.ParityImages(100, 4, 5);
        var before = EdramOnnxExporter.RunOnnx(plain, x)[OnnxContract.StepProbabilitiesName];
        var after = EdramOnnxExporter.RunOnnx(report.Path, x)[OnnxContract.StepProbabilitiesName];
        for (int row = 0; row < before.Length / Fer.Length; row++)
        {
            var expected = Calibration.Softmax(before.AsSpan(row * Fer.Length, Fer.Length).ToArray().Select(p => MathF.Log(p)).ToArray(), 0.5);
            for (int k = 0; k < Fer.Length; k++)
                Assert.True(Math.Abs(expected[k] - after[row * Fer.Length + k]) <= 1e-5, $"row {row} class {k}: {expected[k]} vs {after[row * Fer.Length + k]}");
        }
        using var session = new InferenceSession(report.Path);
        Assert.Equal("0.5", session.ModelMetadata.CustomMetadataMap["edram.temperature"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => EdramOnnxExporter.Export(model, null, File("t0.onnx"), new OnnxExportOptions { Temperature = 0 }));
    }

    [Fact]
    public void Export_FlipAveraging_RecordsTheMirrorAveragedAccuracy()
    {
        var config = EdramConfig.Cpu with { Steps = 2, Classes = 2 };
        using var model = EdramOnnxExporter.CreateRandomModel(config, seed: 4);
        var flip = ClassificationMetrics.From(["a", "b"], [0, 1, 1, 0], [0, 1, 1, 1], 0.7, null); // 3 of 4 right
        var state = new TrainState { Config = config, Labels = ["a", "b"], BestAccuracy = 0.5, BestEpoch = 3, LastValidationFlip = flip };
        var path = EdramOnnxExporter.Export(model, state, File("acc.onnx"), new OnnxExportOptions { FlipAveraging = true }).Path;
        using (var session = new InferenceSession(path))
        {
            var meta = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal("0.75", meta["edram.accuracy"]);
            Assert.Equal("0.5", meta["edram.accuracy_without_flip"]);
        }
        var plain = EdramOnnxExporter.Export(model, state, File("acc-plain.onnx")).Path;
        using (var session = new InferenceSession(plain))
        {
            Assert.Equal("0.5", session.ModelMetadata.CustomMetadataMap["edram.accuracy"]);
            Assert.False(session.ModelMetadata.CustomMetadataMap.ContainsKey("edram.accuracy_without_flip"));
        }
    }

    [Fact]
    public void Export_WithTrainState_WritesMetadataAndContract()
    {
        var config = EdramConfig.Cpu with { Steps = 2 };
        using var model = EdramOnnxExporter.CreateRandomModel(config, seed: 6);
        var state = new TrainState
        {
            Config = config,
            Labels = Fer,
            BestAccuracy = 0.6125,
            BestEpoch = 4,
            HasValenceArousal = false,
            Options = new TrainOptions
            {
                Dataset = "fer2013:" + Path.Combine(_dir, "data", "fer2013") + "/",
                Preprocess = new() { ["preprocess.detectors"] = "none", ["preprocess.clahe_clip_limit"] = "2" },
            },
        };
        var path = EdramOnnxExporter.Export(model, state, File("meta.onnx")).Path;

        using var session = new InferenceSession(path);
        var meta = session.ModelMetadata;
        Assert.Equal("EdramFer", meta.ProducerName);
        Assert.Contains("unrolled", meta.Description);
        var props = meta.CustomMetadataMap;
        Assert.Equal("angry,disgust,fear,happy,neutral,sad,surprise", props["edram.labels"]);
        Assert.Equal("2", props["edram.steps"]);
        Assert.Equal("1", props["edram.zoom_limit"]);
        Assert.Equal("100", props["edram.input_size"]);
        Assert.Equal("26", props["edram.glimpse_size"]);
        Assert.Equal("false", props["edram.align_corners"]);
        Assert.Equal("0.00392156862745098", props["edram.input_scale"]);
        Assert.Equal(1.0 / 255, double.Parse(props["edram.input_scale"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("0", props["edram.input_offset"]);
        Assert.Equal("cpu", props["edram.preset"]);
        Assert.Equal("false", props["edram.has_valence_arousal"]);
        Assert.Equal("fer2013:fer2013", props["edram.training_data"]);
        Assert.Equal("0.6125", props["edram.accuracy"]);
        Assert.Equal("none", props["preprocess.detectors"]);
        Assert.Equal("2", props["preprocess.clahe_clip_limit"]);
        var roundTrip = System.Text.Json.JsonSerializer.Deserialize<EdramConfig>(props["edram.config"])!;
        Assert.Equal(config.GlimpseChannels, roundTrip.GlimpseChannels);
        Assert.Equal(config.ContextChannels, roundTrip.ContextChannels);
        Assert.Equal(config.ResNetBlocks, roundTrip.ResNetBlocks);
        int[] none = []; // records compare arrays by reference: blank them to compare the scalar fields
        Assert.Equal(config with { GlimpseChannels = none, ContextChannels = none, ResNetBlocks = none },
            roundTrip with { GlimpseChannels = none, ContextChannels = none, ResNetBlocks = none });
        Assert.DoesNotContain(props.Values, v => v.Contains(_dir));

        Assert.Equal([OnnxContract.InputName], session.InputMetadata.Keys);
        Assert.Equal([-1L, 1, 100, 100], session.InputMetadata["image"].Dimensions.Select(d => (long)d));
        Assert.Equal(OnnxContract.OutputNames, session.OutputMetadata.Keys);
        Assert.Equal([-1, 7], session.OutputMetadata["probabilities"].Dimensions);
        Assert.Equal([-1, 2], session.OutputMetadata["valence_arousal"].Dimensions);
        Assert.Equal([-1, 2, 6], session.OutputMetadata["glimpses"].Dimensions);
        Assert.Equal([-1, 2, 7], session.OutputMetadata["step_probabilities"].Dimensions);
        Assert.Equal("N", session.InputMetadata["image"].SymbolicDimensions[0]);

        var nodes = ReadModel(path).Graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("step1/glimpse/conv2", nodes);
        Assert.Contains("step0/sensor/patch", nodes);
        Assert.Contains("step1/classifier_rnn/gates", nodes);
        Assert.Equal(nodes.Count, ReadModel(path).Graph.Node.Count);
    }

    [Fact]
    public void Export_SharedWeights_StoredOnceAndEveryInitializerUsed()
    {
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = 3 }, seed: 12);
        var path = EdramOnnxExporter.Export(model, null, File("shared.onnx"), new OnnxExportOptions { FoldBatchNorm = false }).Path;
        var graph = ReadModel(path).Graph;
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet();
        Assert.DoesNotContain(graph.Initializer, i => !used.Contains(i.Name));
        var names = graph.Initializer.Select(i => i.Name).ToList();
        foreach (var shared in new[] { "classifier_rnn/weight_ih", "classifier_rnn/weight_hh", "localiser_rnn/weight_hh", "glimpse/conv3/weight", "mlp/logits/weight", "sensor/base_grid" })
            Assert.Single(names, shared);
        Assert.DoesNotContain(names, n => n.StartsWith("classifier_rnn/weight_hh_"));
        // Unfolded, the stored parameters are the model's (per-step batch norms included) plus the few graph constants.
        long parameters = model.parameters().Sum(p => p.numel());
        static bool IsConstant(string n) => n.StartsWith("const/") || n.StartsWith("context/pool") || n == "sensor/base_grid" || n.StartsWith("emission/zoom_") || n.StartsWith("emission/const_");
        long stored = graph.Initializer.Where(i => !IsConstant(i.Name))
            .Sum(i => i.Dims.Aggregate(1L, (a, d) => a * d));
        long bnStats = model.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm1d>().Sum(b => 2 * b.running_mean!.numel())
                     + model.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm2d>().Sum(b => 2 * b.running_mean!.numel());
        long lstmBiasMerged = model.classifierRnn.bias_hh!.numel() + model.localiserRnn.bias_hh!.numel();
        Assert.Equal(parameters + bnStats - lstmBiasMerged, stored); // each LSTM's two biases are stored summed
    }

    [Fact]
    public void Export_TamperedGraph_ThrowsWithDifferencesAndKeepsEarlierFile()
    {
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = 2 }, seed: 7);
        var path = File("bad.onnx");
        var options = new OnnxExportOptions
        {
            // A slightly wrong bias in one step's folded layer: small enough to look plausible. Every unit is shifted, so
            // the change cannot vanish behind a ReLU that is off for all parity images (one unit alone can).
            Tamper = m =>
            {
                var t = m.Graph.Initializer.Single(i => i.Name == "step1/mlp/fc2/bias");
                var v = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.ToByteArray()).ToArray();
                for (var i = 0; i < v.Length; i++) v[i] += 0.05f;
                t.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
            },
        };
        System.IO.File.WriteAllText(path, "earlier export");
        var e = Assert.Throws<InvalidDataException>(() => EdramOnnxExporter.Export(model, null, path, options));
        Assert.Contains("max abs diff", e.Message);
        Assert.Contains("step_probabilities", e.Message);
        Assert.Contains("bad.onnx'", e.Message);
        Assert.Equal("earlier export", System.IO.File.ReadAllText(path)); // the failed export replaced nothing
        Assert.Single(Directory.GetFiles(_dir));                           // and left no temporary file
    }

    [Fact]
    public void Compare_TorchWeightsChangedAfterExport_ReportsDifference()
    {
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = 2 }, seed: 8);
        var path = EdramOnnxExporter.Export(model, null, File("drift.onnx")).Path;
        using (no_grad()) model.glimpseNormsForTest().running_mean!.add_(0.5f);
        using var x = EdramOnnxExporter.ParityImages(100, 4, 9);
        var parity = EdramOnnxExporter.Compare(model, path, x);
        Assert.True(parity.MaxAbsDiff[OnnxContract.GlimpsesName] > 1e-3, parity.ToString());
    }

    [Fact]
    public void ExportRandom_WritesLoadableModelWithLabels()
    {
        var path = File("random.onnx");
        var report = EdramOnnxExporter.ExportRandom(path, EdramConfig.Cpu with { Steps = 2 }, Fer, seed: 11);
        AssertParity(report.Parity);
        using var session = new InferenceSession(path);
        Assert.Equal(string.Join(",", Fer), session.ModelMetadata.CustomMetadataMap["edram.labels"]);
        Assert.Equal("none (random weights)", session.ModelMetadata.CustomMetadataMap["edram.training_data"]);
        Assert.Throws<ArgumentException>(() => EdramOnnxExporter.ExportRandom(File("x.onnx"), EdramConfig.Cpu, ["a", "b"], 1));
    }

    [Fact]
    public void Export_StateConfigDiffersFromModel_ThrowsBeforeWriting()
    {
        using var model = EdramOnnxExporter.CreateRandomModel(EdramConfig.Cpu with { Steps = 2 }, seed: 13);
        var path = File("mismatch.onnx");
        var other = new TrainState { Config = EdramConfig.Cpu with { Steps = 3 }, Labels = Fer };
        Assert.Throws<ArgumentException>(() => EdramOnnxExporter.Export(model, other, path));
        Assert.False(System.IO.File.Exists(path));
        // An equal config built separately (its arrays are other instances) is accepted.
        var same = new TrainState { Config = EdramConfig.Cpu with { Steps = 2 }, Labels = Fer };
        AssertParity(EdramOnnxExporter.Export(model, same, path).Parity);
    }

    private static ModelProto ReadModel(string path) => ModelProto.Parser.ParseFrom(System.IO.File.ReadAllBytes(path));
}

internal static class EdramNetTestAccess
{
    /// <summary>Step 0's batch norm after the "what" layer (feeds the state that places glimpse 2): a statistic that moves every output when changed.</summary>
    public static TorchSharp.Modules.BatchNorm1d glimpseNormsForTest(this EdramNet model) => model.glimpse.whatNorms[0];
}
