using System.ComponentModel;
using EdramFer.Training.Model;
using EdramFer.Training.Train;
using EdramFer.CommandLine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EdramFer.Training.Cli.Commands;

/// <summary><c>edram-train train</c>: trains EDRAM with progress, checkpoints and resume.</summary>
public sealed class TrainCommand(IAnsiConsole console) : Command<TrainCommand.Settings>
{
    public sealed class Settings : DetectorSettings
    {
        [CommandOption("--dataset <SPEC>"), Description("fer2013:DIR | affectnet:DIR | csv:FILE | folder:DIR")]
        public string Dataset { get; init; } = "";
        [CommandOption("--validation <SPEC>"), Description("Validation set (csv:FILE or folder:DIR); default: the dataset's own split or a 10% holdout")]
        public string? Validation { get; init; }
        [CommandOption("--output <DIR>"), Description("Run folder: checkpoints/, epochs.jsonl, metrics.json")]
        public string Output { get; init; } = "";
        [CommandOption("--epochs <N>"), DefaultValue(30)] public int Epochs { get; init; } = 30;
        [CommandOption("--batch-size <N>"), DefaultValue(64)] public int BatchSize { get; init; } = 64;
        [CommandOption("--lr <RATE>"), DefaultValue(1e-4), Description("Adam learning rate (seed paper: 1e-4)")]
        public double LearningRate { get; init; } = 1e-4;
        [CommandOption("--steps <N>"), Description("Glimpses per image (preset default: paper 8, cpu 6)")]
        public int? Steps { get; init; }
        [CommandOption("--zoom-limit <Z>"), DefaultValue(1f), Description("Largest glimpse scale, its side relative to the image's (1, or the paper's 0.5 and 0.3)")]
        public float ZoomLimit { get; init; } = 1f;
        [CommandOption("--emission <KIND>"), DefaultValue("bounded"), Description("bounded (scale, translation and optional rotation assembled into θ) | affine (EDRAM's six free entries)")]
        public string Emission { get; init; } = "bounded";
        [CommandOption("--min-zoom <Z>"), DefaultValue(0.1f), Description("Smallest glimpse scale (bounded emission)")]
        public float MinZoom { get; init; } = 0.1f;
        [CommandOption("--max-rotation <DEGREES>"), DefaultValue(0f), Description("Largest glimpse rotation (bounded emission; 0 = none)")]
        public float MaxRotation { get; init; }
        [CommandOption("--glimpse-bound <BOUND>"), DefaultValue("inside"), Description("inside: the whole glimpse stays in the image | centre: only its centre (bounded emission)")]
        public string GlimpseBound { get; init; } = "inside";
        [CommandOption("--where-batch-norm"), Description("Batch-normalise the \"where\" embedding of θ per step (EDRAM; default off: θ is bounded)")]
        public bool WhereBatchNorm { get; init; }
        [CommandOption("--bn-recalibrate <BATCHES>"), DefaultValue(100), Description("Training batches whose average replaces the batch-norm statistics before every validation (0 = keep the moving averages)")]
        public int BatchNormRecalibration { get; init; } = 100;
        [CommandOption("--glimpse-net <KIND>"), DefaultValue("conv"), Description("Glimpse features: conv (EDRAM's six convolutions) | resnet (a ResNet trunk, see --resnet-blocks)")]
        public string GlimpseNet { get; init; } = "conv";
        [CommandOption("--resnet-blocks <LIST>"), DefaultValue("2,2,2,2"), Description("ResNet trunk: residual blocks per stage (64, 128, 256, 512 channels), e.g. 2,2,2")]
        public string ResNetBlocks { get; init; } = "2,2,2,2";
        [CommandOption("--glimpse-size <PX>"), Description("Glimpse side in pixels (preset default: 26)")]
        public int? GlimpseSize { get; init; }
        [CommandOption("--pretrained-glimpse <ONNX>"), Description("Start the ResNet trunk from an ImageNet ResNet in ONNX: a file, or resnet18 for ML.NET's ResNet18.onnx from the NuGet packages folder")]
        public string? PretrainedGlimpse { get; init; }
        [CommandOption("--preset <NAME>"), DefaultValue("paper"), Description("paper | cpu")]
        public string Preset { get; init; } = "paper";
        [CommandOption("--device <DEVICE>"), DefaultValue("auto"), Description("auto | cpu | cuda")]
        public string Device { get; init; } = "auto";
        [CommandOption("--seed <N>"), DefaultValue(1)] public int Seed { get; init; } = 1;
        [CommandOption("--no-augment"), Description("Turn online augmentation off")] public bool NoAugment { get; init; }
        [CommandOption("--last-step-loss"), Description("Cross-entropy on the last glimpse only (default: every glimpse)")]
        public bool LastStepLoss { get; init; }
        [CommandOption("--zoom-weight <W>"), DefaultValue(1f)] public float ZoomWeight { get; init; } = 1f;
        [CommandOption("--zoom-from-step <K>"), DefaultValue(1), Description("First glimpse the zoom loss applies to (2: the first glimpse may stay wide, as the paper's whole-face first look)")]
        public int ZoomFromStep { get; init; } = 1;
        [CommandOption("--schedule <NAME>"), DefaultValue("plateau"), Description("Learning rate: plateau (reduce on validation-loss plateau, the paper's) | cosine (warm-up, then cosine decay to 1e-5)")]
        public string Schedule { get; init; } = "plateau";
        [CommandOption("--warmup-epochs <E>"), DefaultValue(1.0), Description("Cosine schedule: epochs of linear warm-up")]
        public double WarmupEpochs { get; init; } = 1;
        [CommandOption("--weight-decay <W>"), DefaultValue(0.0), Description("Decoupled weight decay (AdamW); 0 = Adam")]
        public double WeightDecay { get; init; }
        [CommandOption("--ema-decay <D>"), DefaultValue(0.0), Description("Keep a moving average of the weights (e.g. 0.999) and validate, checkpoint and export it; 0 = off")]
        public double EmaDecay { get; init; }
        [CommandOption("--label-smoothing <E>"), DefaultValue(0f), Description("Label smoothing of the cross-entropy targets (0 = none, e.g. 0.1)")]
        public float LabelSmoothing { get; init; }
        [CommandOption("--affectnet-classes <N>"), DefaultValue(7)] public int AffectNetClasses { get; init; } = 7;
        [CommandOption("--classes <LIST>"), Description("csv: datasets: the classes, comma-separated, in output order (a label outside them is an error), or 'infer' to take the CSV's labels as they are")]
        public string? Classes { get; init; }
        [CommandOption("--max-train <N>"), DefaultValue(0), Description("Use at most N training images (0 = all)")]
        public int MaxTrain { get; init; }
        [CommandOption("--max-validation <N>"), DefaultValue(0)] public int MaxValidation { get; init; }
        [CommandOption("--cache <DIR>"), Description("Preprocessed-image cache (default: <output>/cache)")]
        public string? Cache { get; init; }
        [CommandOption("--threads <N>"), DefaultValue(0)] public int Threads { get; init; }
        [CommandOption("--resume"), Description("Continue the run in --output from checkpoints/last.ckpt")]
        public bool Resume { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Dataset)) return ValidationResult.Error("--dataset is required, e.g. fer2013:../shared/data/fer2013");
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required (the run folder)");
            if (Epochs < 1 || BatchSize < 2) return ValidationResult.Error("--epochs must be ≥ 1 and --batch-size ≥ 2");
            if (ZoomLimit is <= 0 or > 1) return ValidationResult.Error($"--zoom-limit must be in (0, 1], got {ZoomLimit}");
            if (Emission is not ("bounded" or "affine")) return ValidationResult.Error($"--emission must be bounded or affine, got '{Emission}'");
            if (GlimpseBound is not ("inside" or "centre")) return ValidationResult.Error($"--glimpse-bound must be inside or centre, got '{GlimpseBound}'");
            if (Emission == "bounded" && (MinZoom <= 0 || MinZoom >= ZoomLimit)) return ValidationResult.Error($"--min-zoom must be in (0, --zoom-limit = {ZoomLimit}), got {MinZoom}");
            if (Classes is not null && Classes != "infer" && Classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { } list
                && (list.Length < 2 || list.Distinct(StringComparer.OrdinalIgnoreCase).Count() != list.Length))
                return ValidationResult.Error($"--classes needs at least two distinct names (or 'infer'), got '{Classes}'");
            if (BatchNormRecalibration < 0) return ValidationResult.Error($"--bn-recalibrate must be ≥ 0, got {BatchNormRecalibration}");
            if (Schedule is not ("plateau" or "cosine")) return ValidationResult.Error($"--schedule must be plateau or cosine, got '{Schedule}'");
            if (EmaDecay is < 0 or >= 1) return ValidationResult.Error($"--ema-decay must be in [0, 1), got {EmaDecay}");
            if (WarmupEpochs < 0 || WeightDecay < 0) return ValidationResult.Error("--warmup-epochs and --weight-decay must be ≥ 0");
            if (LabelSmoothing is < 0 or >= 1) return ValidationResult.Error($"--label-smoothing must be in [0, 1), got {LabelSmoothing}");
            if (ZoomFromStep < 1) return ValidationResult.Error($"--zoom-from-step must be ≥ 1, got {ZoomFromStep}");   // the upper bound needs the preset: Execute
            if (GlimpseNet is not ("conv" or "resnet")) return ValidationResult.Error($"--glimpse-net must be conv or resnet, got '{GlimpseNet}'");
            if (ResNetBlocks.Split(',', StringSplitOptions.TrimEntries) is var blocks && (blocks.Length is < 1 or > 4 || blocks.Any(b => !int.TryParse(b, out var n) || n < 1)))
                return ValidationResult.Error($"--resnet-blocks needs 1 to 4 positive counts, e.g. 2,2,2,2; got '{ResNetBlocks}'");
            if (PretrainedGlimpse is not null && GlimpseNet != "resnet") return ValidationResult.Error("--pretrained-glimpse needs --glimpse-net resnet");
            if (MaxRotation is < 0 or > 180) return ValidationResult.Error($"--max-rotation must be in [0, 180] degrees, got {MaxRotation}");
            return base.Validate();
        }
    }

    /// <summary>The model configuration: the preset, then the options given.</summary>
    private static EdramConfig Config(Settings s)
    {
        var config = EdramConfig.FromPreset(s.Preset) with
        {
            ZoomLimit = s.ZoomLimit, Emission = s.Emission == "affine" ? EmissionKind.Affine : EmissionKind.Bounded,
            MinZoom = s.MinZoom, MaxRotation = s.MaxRotation * MathF.PI / 180, GlimpseInside = s.GlimpseBound == "inside",
            WhereBatchNorm = s.WhereBatchNorm,
            GlimpseNet = s.GlimpseNet == "resnet" ? GlimpseNetKind.ResNet : GlimpseNetKind.Conv,
            ResNetBlocks = s.ResNetBlocks.Split(',', StringSplitOptions.TrimEntries).Select(b => int.Parse(b, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        };
        if (s.GlimpseSize is int size) config = config with { GlimpseSize = size };
        return s.Steps is int steps ? config with { Steps = steps } : config;
    }

    /// <summary>The class list of <c>--classes</c>; null when not given or 'infer'.</summary>
    internal static string[]? ClassList(string? classes) =>
        classes is null or "infer" ? null : classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The run's data, optimisation and loss settings.</summary>
    private static TrainOptions Options(Settings s) => new()
    {
        Dataset = s.Dataset, Validation = s.Validation, Epochs = s.Epochs, BatchSize = s.BatchSize, LearningRate = s.LearningRate,
        Device = s.Device, Seed = s.Seed, Augment = !s.NoAugment, AffectNetClasses = s.AffectNetClasses,
        Classes = ClassList(s.Classes), InferClasses = s.Classes == "infer",
        Loss = new LossOptions { EveryStep = !s.LastStepLoss, ZoomWeight = s.ZoomWeight, ZoomFromStep = s.ZoomFromStep, LabelSmoothing = s.LabelSmoothing },
        Schedule = s.Schedule, WarmupEpochs = s.WarmupEpochs, WeightDecay = s.WeightDecay, EmaDecay = s.EmaDecay,
        MaxTrainImages = s.MaxTrain, MaxValidationImages = s.MaxValidation, CacheDir = s.Cache ?? "", Threads = s.Threads,
        BatchNormRecalibrationBatches = s.BatchNormRecalibration,
        PretrainedGlimpse = s.PretrainedGlimpse is null ? null : PretrainedResNet.Resolve(s.PretrainedGlimpse),
    };

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation)
    {
        var (config, options) = (Config(s), Options(s));
        if (options.Loss.ZoomFromStep > config.Steps)
            throw new ArgumentException($"--zoom-from-step {options.Loss.ZoomFromStep} is beyond the model's {config.Steps} glimpses.");
        // Ctrl-C, SIGTERM and SIGHUP stop after the current batch and save a checkpoint (handlers removed when the run
        // ends); SIGKILL loses at most the batches since the last one.
        using var signals = new SignalCancellation(cancellation);
        TrainResult? result = null;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                ProgressTask Task(string key, string text) => tasks.TryGetValue(key, out var t) ? t : tasks[key] = ctx.AddTask(text);
                var trainer = new Trainer(config, options, s.ToPreprocessOptions(), s.Output, new SyncProgress<TrainProgress>(p =>
                {
                    if (p.Phase.StartsWith("preprocess"))
                    {
                        var t = Task(p.Phase, p.Phase);
                        t.MaxValue = p.Batches; t.Value = p.Batch;
                        return;
                    }
                    var task = Task("epoch" + p.Epoch, $"epoch {p.Epoch}/{p.Epochs}");
                    task.MaxValue = Math.Max(1, p.Batches);
                    task.Value = p.Batch;
                    task.Description = p.Validation is { } v
                        ? $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} acc {p.Accuracy:P1} | val acc {v.Accuracy:P1} mean/class {v.MeanPerClassAccuracy:P1} | {p.ImagesPerSecond:F0} img/s"
                        : $"epoch {p.Epoch}/{p.Epochs} {p.Phase} loss {p.Loss:F3} acc {p.Accuracy:P1} {p.ImagesPerSecond:F0} img/s lr {p.LearningRate:G2}";
                }));
                result = trainer.Run(s.Resume, signals.Token);
            });
        if (result is null) return 1;
        if (!result.Completed)
        {
            console.MarkupLine($"[yellow]Interrupted{CancellableRun.By(signals)} at epoch {result.State.Epoch + 1}, batch {result.State.Batch}; checkpoint saved. Continue with --resume.[/]");
            return 2;
        }
        var m = result.BestMetrics;
        if (m != null)
        {
            var table = new Table().AddColumns("class", "accuracy");
            foreach (var (label, acc) in m.PerClassAccuracy) table.AddRow(label, $"{acc:P1}");
            table.AddRow("[bold]overall[/]", $"[bold]{m.Accuracy:P2}[/]").AddRow("mean per class", $"{m.MeanPerClassAccuracy:P2}");
            console.Write(table);
        }
        console.MarkupLine($"Best epoch {result.State.BestEpoch}; metrics in {Path.Combine(result.RunDir, "metrics.json").EscapeMarkup()}");
        return 0;
    }
}
