namespace EdramFer.Training.Data;

/// <summary>Where one training image comes from: a file, or raw greyscale pixels (fer2013.csv rows).</summary>
public sealed record LabeledSample(string Source, int Label, float? Valence = null, float? Arousal = null)
{
    /// <summary>Raw 8-bit greyscale pixels when the dataset stores pixels instead of files.</summary>
    public byte[]? Pixels { get; init; }
    public int PixelWidth { get; init; }
    public int PixelHeight { get; init; }
    public bool HasValenceArousal => Valence.HasValue && Arousal.HasValue;
}

/// <summary>A row that could not be used, with the reason. Counted and reported, never fatal.</summary>
public sealed record BadRow(string Source, string Reason);

/// <summary>One split of a dataset before preprocessing.</summary>
public sealed record DatasetSplit(IReadOnlyList<LabeledSample> Samples, IReadOnlyList<BadRow> BadRows);

/// <summary>A dataset read by an adapter: class names, its training and validation splits, and a test split that
/// the trainer never looks at (FER2013's PublicTest; empty for layouts without one).</summary>
public sealed record DatasetDescription(string Spec, IReadOnlyList<string> Labels, DatasetSplit Train, DatasetSplit Validation)
{
    public DatasetSplit Test { get; init; } = new([], []);

    public bool HasValenceArousal => Train.Samples.Any(s => s.HasValenceArousal);
}
