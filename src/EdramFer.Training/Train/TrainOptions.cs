namespace EdramFer.Training.Train;

/// <summary>Everything a training run is configured with; stored in every checkpoint so a resume rebuilds it.</summary>
public sealed record TrainOptions
{
    /// <summary>Dataset spec: fer2013:DIR, affectnet:DIR, csv:FILE or folder:DIR.</summary>
    public string Dataset { get; init; } = "";
    /// <summary>Optional validation spec (csv:FILE or folder:DIR) overriding the dataset's own split.</summary>
    public string? Validation { get; init; }
    /// <summary>AffectNet class mode: 7 (seed paper) or 8 (with contempt).</summary>
    public int AffectNetClasses { get; init; } = 7;
    /// <summary>Class list of a csv: dataset, in output order (<see cref="Data.DatasetReader.Read"/>); null: see <see cref="InferClasses"/>.</summary>
    public string[]? Classes { get; init; }
    /// <summary>csv: dataset without <see cref="Classes"/>: take its labels as they are (else that is an error listing them).</summary>
    public bool InferClasses { get; init; }
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 64;
    /// <summary>Adam learning rate (seed paper: 1e-4).</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>How the learning rate changes: <see cref="LearningRateSchedule.Plateau"/> (the seed paper's) or <see cref="LearningRateSchedule.Cosine"/>.</summary>
    public string Schedule { get; init; } = LearningRateSchedule.Plateau;
    /// <summary>Cosine schedule: epochs of linear warm-up from 0 to <see cref="LearningRate"/> before the decay.</summary>
    public double WarmupEpochs { get; init; } = 1;
    /// <summary>Exponential moving average of the weights (<see cref="WeightAverage"/>), e.g. 0.999; 0: none.</summary>
    public double EmaDecay { get; init; }
    /// <summary>Decoupled weight decay (AdamW); 0 keeps plain Adam.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Reduce-on-plateau on validation loss: factor, patience (epochs) and floor (seed: 0.333, 1, 1e-5); the floor is also the cosine schedule's end.</summary>
    public double PlateauFactor { get; init; } = 0.333;
    public int PlateauPatience { get; init; } = 1;
    public double MinLearningRate { get; init; } = 1e-5;
    /// <summary>Gradient-norm clip (EDRAM: 10).</summary>
    public double GradientClip { get; init; } = 10;
    /// <summary>auto (CUDA when available), cpu or cuda.</summary>
    public string Device { get; init; } = "auto";
    public int Seed { get; init; } = 1;
    /// <summary>Seed of the validation hold-out (10 % of the training rows per class where the dataset has no
    /// validation split of its own; FER2013's PublicTest is a test split). Separate from <see cref="Seed"/> so that
    /// runs with different seeds are chosen on the same validation images.</summary>
    public int SplitSeed { get; init; } = 1;
    public bool Augment { get; init; } = true;
    public LossOptions Loss { get; init; } = new();
    /// <summary>Preprocessing options as EdramFer.Vision metadata (no file paths).</summary>
    public Dictionary<string, string> Preprocess { get; init; } = new();
    /// <summary>Where preprocessed splits are cached.</summary>
    public string CacheDir { get; init; } = "";
    /// <summary>Use at most this many training images (seeded pick); 0 = all. For quick experiments and tests.</summary>
    public int MaxTrainImages { get; init; }
    /// <summary>Use at most this many validation images; 0 = all.</summary>
    public int MaxValidationImages { get; init; }
    /// <summary>Write a mid-epoch checkpoint every this many batches (0 = only at epoch ends and on Ctrl-C).</summary>
    public int CheckpointEveryBatches { get; init; } = 100;
    /// <summary>Training batches whose plain average replaces the batch norms' running statistics before every
    /// validation (<see cref="BatchNormRecalibration"/>); 0 keeps the moving averages.</summary>
    public int BatchNormRecalibrationBatches { get; init; } = 100;
    /// <summary>CPU threads for TorchSharp (0 = all cores).</summary>
    public int Threads { get; init; }
    /// <summary>ONNX ResNet whose ImageNet weights start a ResNet glimpse trunk (<see cref="Model.PretrainedResNet"/>); a fresh run only.</summary>
    public string? PretrainedGlimpse { get; init; }

    /// <summary>The dataset as this run splits it (<see cref="Data.DatasetReader.Read"/> with this run's validation set,
    /// split seed and classes); <paramref name="dataset"/> replaces <see cref="Dataset"/> when given.</summary>
    public Data.DatasetDescription ReadDataset(string? dataset = null) =>
        Data.DatasetReader.Read(dataset ?? Dataset, Validation, seed: SplitSeed, affectNetClasses: AffectNetClasses, classes: Classes, inferClasses: InferClasses);
}
