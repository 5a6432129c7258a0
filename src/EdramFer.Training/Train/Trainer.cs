using EdramFer.Contracts;
using EdramFer.Training.Data;
using EdramFer.Training.Model;
using EdramFer.Vision;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdramFer.Training.Train;

/// <summary>A progress report: a preprocessing phase, or a training batch, or an epoch's validation.</summary>
public sealed record TrainProgress(string Phase, int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy,
    double ImagesPerSecond, double LearningRate, ClassificationMetrics? Validation = null);

/// <summary>How a run ended.</summary>
public sealed record TrainResult(bool Completed, string RunDir, TrainState State, ClassificationMetrics? BestMetrics);

/// <summary>
/// The training driver: reads and preprocesses the dataset (cached), trains EdramNet with Adam, gradient
/// clipping and reduce-on-plateau, checkpoints atomically (every N batches, every epoch, on best
/// validation accuracy, on cancellation), and writes epochs.jsonl and metrics.json into the run folder.
/// Shuffling and augmentation are seeded per epoch and batch, so a resumed run continues exactly.
/// </summary>
public sealed partial class Trainer
{
    readonly EdramConfig _config;
    readonly TrainOptions _options;
    readonly PreprocessOptions _preprocess;
    readonly string _runDir;
    readonly IProgress<TrainProgress>? _progress;

    public Trainer(EdramConfig config, TrainOptions options, PreprocessOptions preprocess, string runDir, IProgress<TrainProgress>? progress = null)
    {
        _config = config; _preprocess = preprocess; _runDir = Path.GetFullPath(runDir); _progress = progress;
        _options = options with { Preprocess = new Dictionary<string, string>(preprocess.ToMetadata()) };
    }

    string LastPath => Path.Combine(_runDir, "checkpoints", "last.ckpt");
    string BestPath => Path.Combine(_runDir, "checkpoints", "best.ckpt");

    /// <summary>Picks the TorchSharp device: auto = CUDA when available.</summary>
    public static Device ResolveDevice(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new InvalidOperationException("--device cuda was asked for, but TorchSharp finds no CUDA device (build with -p:TorchBackend=cuda)."),
        "auto" => cuda.is_available() ? CUDA : CPU,
        _ => throw new ArgumentException($"Unknown device '{name}': expected auto, cpu or cuda."),
    };

    /// <summary>Reads, preprocesses (cached) and subsamples the splits.</summary>
    public (DatasetDescription Dataset, PreprocessedSet Train, PreprocessedSet Validation) LoadData(CancellationToken cancel)
    {
        var dataset = _options.ReadDataset();
        var cacheDir = string.IsNullOrEmpty(_options.CacheDir) ? Path.Combine(_runDir, "cache") : _options.CacheDir;
        var train = Subsample(dataset.Train.Samples, _options.MaxTrainImages, _options.Seed);
        var val = Subsample(dataset.Validation.Samples, _options.MaxValidationImages, _options.Seed + 1);
        var trainSet = PreprocessedSet.Load(train, _preprocess, cacheDir, Report("preprocess train"), cancel);
        var valSet = PreprocessedSet.Load(val, _preprocess, cacheDir, Report("preprocess validation"), cancel);
        WriteBadRows(dataset.Train.BadRows.Concat(dataset.Validation.BadRows).Concat(trainSet.BadRows).Concat(valSet.BadRows).ToList());
        if (trainSet.Count == 0) throw new InvalidDataException($"No usable training images in '{_options.Dataset}' (see {Path.Combine(_runDir, "bad_rows.csv")}).");
        return (dataset, trainSet, valSet);
    }

    IProgress<(int Done, int Total)> Report(string phase) =>
        new Progress<(int Done, int Total)>(p => _progress?.Report(new TrainProgress(phase, 0, _options.Epochs, p.Done, p.Total, 0, 0, 0, 0)));

    static IReadOnlyList<LabeledSample> Subsample(IReadOnlyList<LabeledSample> samples, int max, int seed)
    {
        if (max <= 0 || samples.Count <= max) return samples;
        var rng = new Random(seed);
        return samples.Select(s => (s, k: rng.Next())).OrderBy(p => p.k).Take(max).Select(p => p.s).ToList();
    }

    void WriteBadRows(IReadOnlyList<BadRow> bad)
    {
        Directory.CreateDirectory(_runDir);
        using var w = CsvHelper.CsvWriter.Create(File.Create(Path.Combine(_runDir, "bad_rows.csv")), null, leaveOpen: false);
        w.WriteRecord(["source", "reason"]);
        foreach (var b in bad) w.WriteRecord([b.Source, b.Reason]);
    }

    /// <summary>Trains (or resumes from last.ckpt when <paramref name="resume"/>) until the configured epochs or cancellation.</summary>
    public TrainResult Run(bool resume, CancellationToken cancel = default)
    {
        if (_options.Threads > 0) set_num_threads(_options.Threads);
        using var session = Open(resume, cancel);
        for (int epoch = session.State.Epoch; epoch < session.State.Options.Epochs; epoch++)
        {
            if (TrainEpoch(session, epoch, cancel) is not { } tally
                || Validate(session, epoch, tally, cancel) is not { } validation)
                return new TrainResult(false, _runDir, session.State, session.State.LastValidation); // state saved
            EndEpoch(session, epoch, tally, validation);
        }
        return Finish(session.State);
    }

    /// <summary>The data, and the model, optimizer and state: new (seeded) or from last.ckpt.</summary>
    Session Open(bool resume, CancellationToken cancel)
    {
        var tuner = _options.Threads > 0 ? null : new ThreadTuner(Environment.ProcessorCount);
        var device = ResolveDevice(_options.Device);
        var (dataset, train, val) = LoadData(cancel);
        var labels = dataset.Labels.ToArray();
        EdramNet model; OptimizerHelper optimizer; TrainState state;
        // Adam as in the paper; AdamW (decoupled weight decay) when a weight decay is asked for.
        static OptimizerHelper MakeOptimizer(EdramNet m, TrainOptions o) => o.WeightDecay > 0
            ? optim.AdamW(m.parameters(), o.LearningRate, weight_decay: o.WeightDecay)
            : optim.Adam(m.parameters(), o.LearningRate);
        if (resume && File.Exists(LastPath))
        {
            var saved = Checkpoint.ReadState(LastPath).Options; // the optimiser the run was started with
            (state, model) = Checkpoint.Load(LastPath, m => MakeOptimizer(m, saved), out var opt);
            optimizer = opt!;
            if (!state.Labels.SequenceEqual(labels))
                throw new InvalidDataException($"Cannot resume: the checkpoint's labels ({string.Join(",", state.Labels)}) differ from the dataset's ({string.Join(",", labels)}).");
            state = state with { Options = state.Options with { Epochs = _options.Epochs } };
        }
        else
        {
            if (resume) throw new FileNotFoundException($"--resume: no checkpoint at {LastPath}.");
            manual_seed(_options.Seed);
            model = new EdramNet(_config with { Classes = labels.Length });
            if (_options.PretrainedGlimpse is { } pretrained)
                PretrainedResNet.Load(model.glimpse.resnet ?? throw new ArgumentException("A pretrained glimpse network needs the ResNet glimpse trunk (--glimpse-net resnet)."), pretrained);
            optimizer = MakeOptimizer(model, _options);
            state = new TrainState
            {
                Config = model.Config, Options = _options, Labels = labels,
                ClassWeights = EdramLoss.ClassWeights(train.Labels, labels.Length),
                LearningRate = _options.LearningRate, HasValenceArousal = train.HasValenceArousal,
            };
        }
        model.to(device);
        SetLearningRate(optimizer, state.LearningRate);
        int batches = train.Count / state.Options.BatchSize;   // drop the ragged tail: batch norm needs full batches
        if (batches == 0) throw new InvalidDataException($"{train.Count} training images are fewer than one batch of {state.Options.BatchSize}.");
        EdramNet? average = null;
        if (state.Options.EmaDecay > 0)
        {
            average = resume ? Checkpoint.LoadAverage(LastPath, state) ?? WeightAverage.Copy(model) : WeightAverage.Copy(model);
            average.to(device);
        }
        return new Session(model, optimizer, train, val, labels, device, batches, tuner,
            tensor(state.ClassWeights, device: device), new Generator((ulong)state.Options.Seed, device), average) { State = state };
    }

    /// <summary>metrics.json of the finished run: the best checkpoint's validation figures.</summary>
    TrainResult Finish(TrainState state)
    {
        var bestState = File.Exists(BestPath) ? Checkpoint.ReadState(BestPath) : state;
        var bestMetrics = bestState.LastValidation;
        File.WriteAllText(Path.Combine(_runDir, RunLog.MetricsFile), RunLog.ToJson(new RunMetrics
        {
            BestEpoch = state.BestEpoch, Epochs = state.Epoch, Preset = state.Config.Preset, Steps = state.Config.Steps,
            ZoomLimit = state.Config.ZoomLimit, Validation = bestMetrics,
            ValidationFlipAveraging = bestState.LastValidationFlip, // null when the best epoch predates this log
        }));
        return new TrainResult(true, _runDir, state, bestMetrics);
    }

    /// <summary>Reduce-on-plateau on validation loss.</summary>
    static TrainState Plateau(TrainState s, double loss, TrainOptions o)
    {
        if (loss < s.PlateauBest) return s with { PlateauBest = loss, PlateauBadEpochs = 0 };
        int bad = s.PlateauBadEpochs + 1;
        if (bad > o.PlateauPatience)
            return s with { PlateauBadEpochs = 0, LearningRate = Math.Max(o.MinLearningRate, s.LearningRate * o.PlateauFactor) };
        return s with { PlateauBadEpochs = bad };
    }

    static void SetLearningRate(OptimizerHelper optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }

    /// <summary>
    /// The permutation of epoch <paramref name="epoch"/>: a function of seed and epoch only, the same in every process
    /// (HashCode.Combine, used before, is randomised per process, so a resumed run shuffled differently).
    /// </summary>
    internal static int[] Shuffle(int n, int seed, int epoch)
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Random(EpochSeed(seed, epoch)).Shuffle(order);
        return order;
    }

    /// <summary>A stable 31-bit seed from (seed, epoch): SplitMix64's finaliser over both.</summary>
    internal static int EpochSeed(int seed, int epoch)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)epoch) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    static long BatchSeed(int seed, int epoch, int batch) => ((long)seed * 1_000_003L + epoch) * 100_003L + batch;

    internal static (Tensor X, Tensor Y, Tensor VA) Gather(PreprocessedSet set, ReadOnlySpan<int> indices, Device device)
    {
        int s = set.Size, n = indices.Length, px = s * s;
        var pixels = new byte[n * px];
        var labels = new long[n];
        var va = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(set.Pixels, (long)indices[i] * px, pixels, (long)i * px, px);
            labels[i] = set.Labels[indices[i]];
            va[2 * i] = set.ValenceArousal[2 * indices[i]];
            va[2 * i + 1] = set.ValenceArousal[2 * indices[i] + 1];
        }
        return (Evaluator.PixelsToInput(pixels, n, s, device), tensor(labels, device: device), tensor(va, new long[] { n, 2 }, device: device));
    }
}
