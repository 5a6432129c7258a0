using EdramFer.Contracts;
using EdramFer.Tests.Shared;
using EdramFer.Training.Onnx;
using EdramFer.Training.Train;
using EdramFer.Vision;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

/// <summary>
/// The shipped model: <c>onnx/edram-fer2013.ckpt</c> (weights only) and <c>onnx/edram-fer2013.onnx</c>, compared on real
/// FER2013 PublicTest images. <c>$EDRAM_TRAINED_CHECKPOINT</c> points the test at another checkpoint (it is then
/// exported to a temporary file first). Skipped, with the reason shown, while the files or the data are absent.
/// </summary>
public sealed class TrainedModelOnnxTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Environment variable naming a checkpoint to test instead of the shipped one.</summary>
    public const string CheckpointVariable = "EDRAM_TRAINED_CHECKPOINT";
    private const int PerClass = 15; // 7 classes × 15 = 105 images

    internal static (string Checkpoint, string? Onnx) Files()
    {
        if (Environment.GetEnvironmentVariable(CheckpointVariable) is { Length: > 0 } custom) return (custom, null);
        var dir = Path.Combine(SharedData.RepoRoot, "onnx");
        return (Path.Combine(dir, "edram-fer2013.ckpt"), Path.Combine(dir, "edram-fer2013.onnx"));
    }

    [TrainedModelFact]
    public void ShippedOnnx_RealFer2013Images_MatchesCheckpoint()
    {
        var (ckpt, shipped) = Files();
        var (state, model) = Checkpoint.LoadModel(ckpt);
        using (model)
        {
            var onnx = shipped;
            if (onnx is null)
            {
                onnx = Path.Combine(Path.GetTempPath(), $"edram-trained-{Guid.NewGuid():N}.onnx");
                EdramOnnxExporter.Export(model, state, onnx);
            }
            try
            {
                using var images = LoadFer2013(state, out var labels);
                Assert.True(images.shape[0] >= 100, $"only {images.shape[0]} images preprocessed");
                bool flip;
                using (var probe = new InferenceSession(onnx)) // a --flip-averaging export is compared with TorchSharp on image + mirror
                    flip = probe.ModelMetadata.CustomMetadataMap.TryGetValue("edram.flip_averaging", out var f) && f == "true";
                var parity = EdramOnnxExporter.Compare(model, onnx, images, flip);
                output.WriteLine($"{Path.GetFileName(ckpt)} on {parity.Images} FER2013 PublicTest images: {parity}");
                // 1e-3 on real images: the shipped epoch-18 weights put the first glimpse exactly on the image corner
                // (θ saturated), where grid-sample rounding differs between ONNX Runtime and libtorch and the LSTMs carry
                // it on (measured up to 6e-4, plain export of the same weights 5.6e-4; the 12-epoch model stayed below
                // 1e-4). Export-time parity on generated images stays at 1e-4, and the predicted classes must agree.
                foreach (var (name, diff) in parity.MaxAbsDiff)
                    Assert.True(diff <= 1e-3, $"{name}: max abs diff {diff:E2} on {parity.Images} FER2013 images ({parity})");
                var ort = EdramOnnxExporter.RunOnnx(onnx, images)[OnnxContract.ProbabilitiesName];
                var torchProbs = EdramOnnxExporter.RunTorch(model, images, flip)[OnnxContract.ProbabilitiesName];
                int classes = state.Labels.Length;
                static int ArgMax(ReadOnlySpan<float> v)
                {
                    int best = 0;
                    for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
                    return best;
                }
                for (int i = 0; i < (int)images.shape[0]; i++)
                    Assert.Equal(ArgMax(torchProbs.AsSpan(i * classes, classes)), ArgMax(ort.AsSpan(i * classes, classes)));

                using var session = new InferenceSession(onnx);
                var meta = session.ModelMetadata.CustomMetadataMap;
                Assert.Equal(string.Join(",", state.Labels), meta["edram.labels"]);
                Assert.Equal(state.Config.Steps.ToString(), meta["edram.steps"]);
                foreach (var (k, v) in state.Options.Preprocess) Assert.Equal(v, meta[k]);

                if (shipped is null) return; // a checkpoint under test may be a smoke run; the shipped one must have learned
                // Sanity of the shipped model itself: better than chance on these images (7 classes: 14 %).
                var probs = EdramOnnxExporter.RunOnnx(onnx, images)[OnnxContract.ProbabilitiesName];
                int c = state.Labels.Length, correct = 0;
                for (int i = 0; i < labels.Length; i++)
                {
                    var row = probs.AsSpan(i * c, c);
                    int best = 0;
                    for (int j = 1; j < c; j++) if (row[j] > row[best]) best = j;
                    if (best == labels[i]) correct++;
                }
                Assert.True(correct > labels.Length / 7, $"{correct}/{labels.Length} correct: no better than chance");
            }
            finally
            {
                if (shipped is null) File.Delete(onnx);
            }
        }
    }

    [TrainedModelFact]
    public void ShippedCheckpoint_PredatesBoundedEmission_LoadsAsAffineAndReexportsSameOutputs()
    {
        var (ckpt, shipped) = Files();
        if (shipped is null) return; // a custom checkpoint has no shipped export to compare with
        var (state, model) = Checkpoint.LoadModel(ckpt);
        using (model)
        {
            Assert.Equal(Model.EmissionKind.Affine, state.Config.Emission); // its config JSON has no "Emission" key
            var path = Path.Combine(Path.GetTempPath(), $"edram-reexport-{Guid.NewGuid():N}.onnx");
            try
            {
                // The shipped model was exported with --batch-norm-nodes --flip-averaging.
                EdramOnnxExporter.Export(model, state, path, new OnnxExportOptions { FoldBatchNorm = false, FlipAveraging = true });
                using var images = LoadFer2013(state, out _);
                var before = EdramOnnxExporter.RunOnnx(shipped, images);
                var after = EdramOnnxExporter.RunOnnx(path, images);
                foreach (var (name, values) in before)
                    Assert.Equal(values, after[name]);                     // same graph arithmetic, bit for bit
            }
            finally { File.Delete(path); }
        }
    }

    /// <summary>The first <see cref="PerClass"/> PublicTest images of every class (sorted names), preprocessed as in training.</summary>
    private static Tensor LoadFer2013(TrainState state, out int[] labels) =>
        LoadFer2013(PreprocessOptions.FromMetadata(state.Options.Preprocess), state.Labels, out labels);

    /// <summary>The first <see cref="PerClass"/> PublicTest images of every class (sorted names), preprocessed with <paramref name="options"/>.</summary>
    internal static Tensor LoadFer2013(PreprocessOptions options, IReadOnlyList<string> classNames, out int[] labels)
    {
        using var pre = new FacePreprocessor(options);
        var files = new List<(string Path, int Label)>();
        for (int label = 0; label < classNames.Count; label++)
        {
            var dir = SharedData.Path("fer2013", "test", classNames[label]);
            Assert.True(Directory.Exists(dir), $"no folder for label '{classNames[label]}' at {dir}");
            files.AddRange(Directory.GetFiles(dir, "PublicTest_*.jpg").Order(StringComparer.Ordinal).Take(PerClass).Select(f => (f, label)));
        }
        var results = pre.ProcessFiles(files.Select(f => f.Path).ToList());
        int size = options.OutputSize;
        var pixels = new List<float>();
        var kept = new List<int>();
        for (int i = 0; i < results.Count; i++)
        {
            if (results[i].Pixels is not { } p) continue;
            pixels.AddRange(p.Select(b => b / 255f));
            kept.Add(files[i].Label);
        }
        labels = kept.ToArray();
        return tensor(pixels.ToArray(), new long[] { kept.Count, 1, size, size });
    }
}

/// <summary>Skips, with the reason, while the trained checkpoint or the FER2013 test images are absent.</summary>
public sealed class TrainedModelFactAttribute : FactAttribute
{
    public TrainedModelFactAttribute()
    {
        var (ckpt, onnx) = TrainedModelOnnxTests.Files();
        if (!File.Exists(ckpt))
            Skip = $"trained checkpoint {Path.GetFileName(ckpt)} not shipped yet (expected at {ckpt}; or set {TrainedModelOnnxTests.CheckpointVariable})";
        else if (onnx != null && !File.Exists(onnx))
            Skip = $"{Path.GetFileName(onnx)} not exported yet: edram export --checkpoint onnx/edram-fer2013.ckpt --output onnx/edram-fer2013.onnx";
        else if (SharedData.MissingReason("fer2013/test") is { } reason)
            Skip = reason;
    }
}
