using System.Text.Json;
using EdramFer.Training.Model;
using EdramFer.Training.Train;
using EdramFer.Vision;
using static TorchSharp.torch;

namespace EdramFer.Training.Tests;

public class TrainerTests
{
    static readonly PreprocessOptions NoDetection = new() { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage };

    static TrainOptions Options(string data, int epochs) => new()
    {
        Dataset = "folder:" + data, Epochs = epochs, BatchSize = 8, LearningRate = 3e-3, Seed = 3, Threads = 1,
        CheckpointEveryBatches = 2,
    };

    static Dictionary<string, Tensor> Weights(string runDir)
    {
        // Clone: the model's finaliser would otherwise dispose the tensors the dictionary hands out.
        using var model = Checkpoint.LoadModel(Path.Combine(runDir, "checkpoints", "last.ckpt")).Model;
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }

    static void AssertSameWeights(string runA, string runB)
    {
        var a = Weights(runA); var b = Weights(runB);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, t) in a) Assert.True(t.equal(b[name]).all().item<bool>(), $"{name} differs between {runA} and {runB}");
    }

    [Fact]
    public void Run_SameSeedTwice_GivesIdenticalWeights()
    {
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(Path.Combine(dir.Path, "data"), 20);
        var options = Options(data, 1);
        new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("a")).Run(resume: false);
        new Trainer(TestModels.Tiny(), options with { CacheDir = dir.File("cache") }, NoDetection, dir.File("b")).Run(resume: false);
        AssertSameWeights(dir.File("a"), dir.File("b"));
    }

    /// <summary>
    /// Also with the recipe options (AdamW's state, the per-batch cosine rate, smoothed targets, the weight average): the
    /// resumed run rebuilds the optimiser the run started with, continues on the same learning-rate curve and from the
    /// saved average (the weights compared are the average's, which LoadModel returns for such a run).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_InterruptedMidEpochThenResumed_EqualsUninterruptedRun(bool recipe)
    {
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(Path.Combine(dir.Path, "data"), 20);
        var options = Options(data, 2);
        if (recipe)
            options = options with
            {
                Schedule = LearningRateSchedule.Cosine, WarmupEpochs = 0.5, WeightDecay = 0.05, EmaDecay = 0.9,
                Loss = options.Loss with { LabelSmoothing = 0.1f },
            };
        var straight = new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("straight")).Run(resume: false);
        Assert.True(straight.Completed);

        using var cts = new CancellationTokenSource();
        var progress = new Action<TrainProgress>(p => { if (p.Phase == "train" && p.Epoch == 2 && p.Batch == 1) cts.Cancel(); });
        var first = new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("resumed"), new Sync(progress)).Run(false, cts.Token);
        Assert.False(first.Completed);
        Assert.Equal(1, first.State.Epoch);
        Assert.Equal(1, first.State.Batch);
        var second = new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("resumed")).Run(resume: true);
        Assert.True(second.Completed);
        AssertSameWeights(dir.File("straight"), dir.File("resumed"));

        // The per-epoch log and the final metrics exist and agree on the epochs.
        var lines = File.ReadAllLines(Path.Combine(dir.File("resumed"), "epochs.jsonl"));
        Assert.Equal(2, lines.Length);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("resumed"), "metrics.json")));
        Assert.Equal(2, metrics.RootElement.GetProperty("epochs").GetInt32());
        Assert.InRange(metrics.RootElement.GetProperty("validation").GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void Run_InterruptedWhileValidating_ResumesAtValidationAndEqualsUninterruptedRun()
    {
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(Path.Combine(dir.Path, "data"), 20);
        var options = Options(data, 2);
        new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("straight")).Run(resume: false);

        using var cts = new CancellationTokenSource();
        var progress = new Action<TrainProgress>(p => { if (p.Phase == "validate" && p.Epoch == 1) cts.Cancel(); });
        var first = new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("resumed"), new Sync(progress)).Run(false, cts.Token);
        Assert.False(first.Completed);
        Assert.Equal(0, first.State.Epoch);
        Assert.True(first.State.Batch > 0, "the epoch's training was kept");
        Assert.True(new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("resumed")).Run(resume: true).Completed);
        AssertSameWeights(dir.File("straight"), dir.File("resumed"));

        // Same validation figures (plain and mirror-averaged) in both logs; timings aside.
        static IEnumerable<string> Figures(string run) => File.ReadAllLines(Path.Combine(run, "epochs.jsonl")).Select(l =>
        {
            using var e = JsonDocument.Parse(l);
            var r = e.RootElement;
            return string.Join(",", new[] { "val_loss", "val_accuracy", "val_accuracy_flip", "val_mean_per_class_accuracy_flip" }.Select(k => r.GetProperty(k).GetDouble().ToString("R")));
        }).ToList();
        Assert.Equal(Figures(dir.File("straight")), Figures(dir.File("resumed")));
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("resumed"), "metrics.json")));
        Assert.InRange(metrics.RootElement.GetProperty("validation_flip_averaging").GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void Run_Resume_WithoutCheckpoint_Throws()
    {
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(Path.Combine(dir.Path, "data"), 4);
        Assert.Throws<FileNotFoundException>(() => new Trainer(TestModels.Tiny(), Options(data, 1), NoDetection, dir.File("run")).Run(resume: true));
    }

    [Fact]
    public void Run_DivergingLearningRate_StopsWithTheBatchBeforeSpoilingTheCheckpoints()
    {
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(Path.Combine(dir.Path, "data"), 16);
        var options = Options(data, 2) with { LearningRate = 1e30, CheckpointEveryBatches = 1 };
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(TestModels.Tiny(), options, NoDetection, dir.File("run")).Run(resume: false));
        Assert.StartsWith("Training diverged at epoch 1, batch 2: the gradient norm was", e.Message);
        // The state saved after batch 1 is intact and finite; the step with non-finite gradients was never taken.
        Assert.All(Weights(dir.File("run")).Values, t => Assert.True(t.isfinite().all().item<bool>()));
    }

    [Fact]
    public void OptimiserSteps_OnBlobData_LowerTheLoss()
    {
        manual_seed(2);
        using var dir = new TempDir();
        var data = TestModels.WriteBlobDataset(Path.Combine(dir.Path, "data"), 16);
        var trainer = new Trainer(TestModels.Tiny(classes: 2), Options(data, 1), NoDetection, dir.File("run"));
        var (_, train, _) = trainer.LoadData(default);
        using var net = new EdramNet(TestModels.Tiny(classes: 2));
        var opt = optim.Adam(net.parameters(), 3e-3);
        using var x = Evaluator.ToInput(train, 0, 24);
        using var y = tensor(train.Labels.Take(24).Select(l => (long)l).ToArray());
        using var w = ones(2);
        float Loss()
        {
            net.train(); opt.zero_grad();
            using var o = net.forward(x);
            using var l = EdramLoss.Compute(o, y, w, null, new LossOptions());
            l.Total.backward(); opt.step();
            return l.CrossEntropy.item<float>();
        }
        float first = Loss();
        float last = first;
        for (int i = 0; i < 30; i++) last = Loss();
        Assert.True(last < first * 0.7f, $"cross-entropy went from {first} to {last}");
    }

    sealed class Sync(Action<TrainProgress> a) : IProgress<TrainProgress> { public void Report(TrainProgress v) => a(v); }
}
